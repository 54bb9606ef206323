/**
 * Incremental fetching of files that grow, rotate and get compressed, such as /var/log/nginx/access.log*.
 * A file is known by its content, not its name: the hash of its first bytes (up to HEAD bytes) and how far it
 * was fetched. That follows a file through a rename (access.log → access.log.1), a copytruncate (the copy
 * carries the old content, the original starts again), and compression (access.log.1 → access.log.2.gz:
 * compared after decompression), so each line is fetched exactly once. Only whole lines are taken; a line
 * still being written is left for the next run.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { once } from 'node:events';
import { createGunzip } from 'node:zlib';
import { pipeline, type Readable } from 'node:stream';

export const HEAD = 1024;

export interface TrackedFile {
  /** Where it was last seen. */
  path: string;
  inode?: string;
  gz: boolean;
  /** Compressed size, for .gz files (a .gz seen whole is never downloaded again). */
  size: number;
  headLen: number;
  headHash: string;
  /** Bytes of (decompressed) content already fetched: always the end of a whole line. */
  offset: number;
}

export interface FetchState {
  schemaVersion: 1;
  files: Record<string, TrackedFile[]>;
}

export interface RemoteFile {
  readonly path: string;
  readonly name: string;
  readonly size: number;
  readonly inode?: string;
}

export interface FileAccess {
  readRange(path: string, start: number, end: number): Promise<Buffer>;
  stream(path: string, start: number): Readable;
}

export interface FetchedPiece {
  readonly remote: RemoteFile;
  readonly from: number;
  readonly bytes: number;
  readonly localPath: string;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function matchByHead(head: Buffer, known: readonly TrackedFile[], inode: string | undefined): TrackedFile | undefined {
  const candidates = known.filter((k) => k.headLen > 0 && head.length >= k.headLen && sha(head.subarray(0, k.headLen)) === k.headHash);
  return candidates.find((k) => inode !== undefined && k.inode === inode) ?? candidates[0];
}

/** Copies `stream` to `localPath` from content offset `skip`, returning the decompressed total length. */
async function copyFrom(stream: AsyncIterable<Buffer>, skip: number, localPath: string): Promise<{ total: number; written: number }> {
  const out = createWriteStream(localPath);
  let pos = 0;
  let written = 0;
  for await (const chunk of stream) {
    const c = chunk as Buffer;
    if (pos + c.length > skip) {
      const part = c.subarray(Math.max(0, skip - pos));
      written += part.length;
      if (!out.write(part)) await once(out, 'drain');
    }
    pos += c.length;
  }
  out.end();
  await once(out, 'finish');
  return { total: pos, written };
}

/** Cuts a local file back to its last newline; returns its new length. */
async function trimToLastNewline(localPath: string, length: number): Promise<number> {
  if (length === 0) return 0;
  const fh = await open(localPath, 'r+');
  try {
    const tail = Buffer.alloc(Math.min(length, 1 << 20));
    let end = length;
    while (end > 0) {
      const start = Math.max(0, end - tail.length);
      await fh.read(tail, 0, end - start, start);
      const nl = tail.subarray(0, end - start).lastIndexOf(10);
      if (nl >= 0) {
        const keep = start + nl + 1;
        await fh.truncate(keep);
        return keep;
      }
      end = start;
    }
    await fh.truncate(0);
    return 0;
  } finally {
    await fh.close();
  }
}

/**
 * Fetches the new content of `files` into local files named by `localName`, updating `known` (the state of
 * this source). Returns what was written.
 */
export async function fetchIncrementally(
  files: readonly RemoteFile[],
  known: readonly TrackedFile[],
  access: FileAccess,
  localName: (f: RemoteFile) => string,
): Promise<{ pieces: FetchedPiece[]; state: TrackedFile[] }> {
  const pieces: FetchedPiece[] = [];
  const state: TrackedFile[] = [];
  for (const f of files) {
    const gz = f.name.endsWith('.gz');
    if (gz) {
      const same = known.find((k) => k.gz && k.size === f.size && (f.inode === undefined || k.inode === f.inode) && k.path === f.path);
      if (same) {
        state.push({ ...same });
        continue;
      }
      // Decompress the whole file; skip what an earlier (plain) incarnation of it already gave us.
      const gunzip = createGunzip();
      // pipeline: an error of either side reaches the iterator below instead of going unheard.
      pipeline(access.stream(f.path, 0), gunzip, () => {});
      const chunks: Buffer[] = [];
      let headBytes = 0;
      const iter = gunzip[Symbol.asyncIterator]();
      let done = false;
      while (headBytes < HEAD) {
        const n = await iter.next();
        if (n.done) {
          done = true;
          break;
        }
        chunks.push(n.value as Buffer);
        headBytes += (n.value as Buffer).length;
      }
      const head = Buffer.concat(chunks);
      const match = matchByHead(head, known, undefined);
      const skip = match ? match.offset : 0;
      const localPath = localName(f);
      const rest = (async function* () {
        yield head;
        if (!done)
          for (;;) {
            const n = await iter.next();
            if (n.done) return;
            yield n.value as Buffer;
          }
      })();
      const { total, written } = await copyFrom(rest, skip, localPath);
      const headLen = Math.min(HEAD, head.length);
      state.push({ path: f.path, inode: f.inode, gz: true, size: f.size, headLen, headHash: sha(head.subarray(0, headLen)), offset: total });
      if (written > 0) pieces.push({ remote: f, from: skip, bytes: written, localPath });
      continue;
    }
    const headLen = Math.min(HEAD, f.size);
    const head = headLen > 0 ? await access.readRange(f.path, 0, headLen) : Buffer.alloc(0);
    const match = matchByHead(head, known, f.inode);
    // A file shorter than what was fetched from it was truncated and rewritten: start again.
    const from = match && match.offset <= f.size ? match.offset : 0;
    let offset = from;
    if (f.size > from) {
      const localPath = localName(f);
      const { written } = await copyFrom(access.stream(f.path, from), 0, localPath);
      const kept = await trimToLastNewline(localPath, Math.min(written, f.size - from));
      offset = from + kept;
      if (kept > 0) pieces.push({ remote: f, from, bytes: kept, localPath });
    }
    // Keep the head that identifies this content: the first line or HEAD bytes, whichever is known complete.
    const idLen = Math.min(headLen, offset);
    state.push({ path: f.path, inode: f.inode, gz: false, size: f.size, headLen: idLen, headHash: sha(head.subarray(0, idLen)), offset });
  }
  return { pieces, state };
}
