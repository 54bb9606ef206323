import { closeSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Reads up to `length` bytes of a file from offset `at` into the start of `buf` (fewer at its end); the part read. */
export function readInto(path: string, buf: Buffer, at = 0, length = buf.length): Buffer {
  const fd = openSync(path, 'r');
  try {
    let got = 0;
    while (got < length) {
      const n = readSync(fd, buf, got, length - got, at + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a file whole or not at all: a reader never sees half a blocklist or half a ledger. `data` may come
 * in pieces (written as they come, not joined first). `mode` is that of a new file (0o600: for its owner only).
 */
export function writeFileAtomic(path: string, data: string | Uint8Array | Iterable<Uint8Array>, mode = 0o666): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${Date.now()}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  if (typeof data === 'string' || data instanceof Uint8Array) writeFileSync(tmp, data, { mode });
  else {
    const fd = openSync(tmp, 'w', mode);
    try {
      for (const piece of data) for (let at = 0; at < piece.length;) at += writeSync(fd, piece, at);
    } catch (err) {
      closeSync(fd);
      rmSync(tmp, { force: true });
      throw err;
    }
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}
