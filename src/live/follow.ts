/**
 * Following a log as it grows, as `tail -F` does: through rename rotation (the old file is read to its end,
 * then the new one from its start), copytruncate (the file shrinks under us: read it again from the start),
 * a log that appears later, and an unfinished last line (held back until its newline comes).
 *
 * One follower, over two ways of reaching files: the local file system, and SFTP on one SSH connection per
 * server (nothing to install on the web server). A local file is known by its device and inode; over SFTP,
 * which tells no inode, by its first bytes (a fingerprint, as log shippers do).
 *
 * The follower yields blocks of whole lines. Its `position` is where the lines the consumer has taken end:
 * saved on shutdown, a restart resumes there, so that no line is lost or read twice.
 */
import { constants } from 'node:fs';
import { open as openFile, realpath, stat as statFile, type FileHandle } from 'node:fs/promises';
import { dirname, sep } from 'node:path';
import type { SFTPWrapper } from 'ssh2';

/** A file as the follower needs it. */
export interface FollowedFile {
  read(into: Buffer, position: number): Promise<number>;
  close(): Promise<void>;
}

/** How files are reached: `identity` is null when the file does not exist. */
export interface FileAccess {
  readonly where: string;
  identity(path: string): Promise<{ id: string | null; size: number } | null>;
  open(path: string): Promise<FollowedFile>;
}

/**
 * The file a local path leads to, when it lies in the path's own folder (or below): a log replaced by a link
 * to /etc/shadow is not followed, a link to today's file beside it is.
 */
async function inFolder(path: string): Promise<string | null> {
  try {
    const [real, folder] = await Promise.all([realpath(path), realpath(dirname(path))]);
    return real.startsWith(folder === sep ? sep : folder + sep) ? real : null;
  } catch {
    return null;
  }
}

export const localFiles: FileAccess = {
  where: 'local',
  async identity(path) {
    const real = await inFolder(path);
    if (!real) return null;
    try {
      const st = await statFile(real);
      return st.isFile() ? { id: `${st.dev}:${st.ino}`, size: st.size } : null;
    } catch {
      return null;
    }
  },
  async open(path) {
    const real = await inFolder(path);
    if (!real) throw new Error(`${path}: not a file in its folder`);
    // Not through a link swapped in since (O_NOFOLLOW), never blocking on a FIFO (O_NONBLOCK); a regular file only.
    const fh: FileHandle = await openFile(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    if (!(await fh.stat()).isFile()) {
      await fh.close();
      throw new Error(`${path}: not a regular file`);
    }
    return {
      read: async (into, position) => (await fh.read(into, 0, into.length, position)).bytesRead,
      close: () => fh.close(),
    };
  },
};

export function sftpFiles(sftp: SFTPWrapper, where: string): FileAccess {
  return {
    where,
    identity: (path) => new Promise((resolve) => sftp.stat(path, (err, st) => resolve(err || !st.isFile() ? null : { id: null, size: st.size }))),
    open: (path) =>
      new Promise((resolve, reject) =>
        sftp.open(path, 'r', (err, handle) => {
          if (err) return reject(new Error(`${path}: ${err.message}`));
          resolve({
            read: (into, position) =>
              new Promise((res, rej) =>
                sftp.read(handle, into, 0, into.length, position, (e, bytes) => {
                  // ssh2 reports the end of a file as an error with code 1 (SSH_FX_EOF).
                  if (e && (e as { code?: number }).code === 1) return res(0);
                  if (e) rej(new Error(`${path}: ${e.message}`));
                  else res(bytes);
                }),
              ),
            close: () => new Promise((res) => sftp.close(handle, () => res())),
          });
        }),
      ),
  };
}

/** Where a follower stands in its file, as saved in the watch state. */
export interface FollowPosition {
  readonly path: string;
  /** Device and inode (local files), or null. */
  readonly id: string | null;
  /** The file's first bytes (up to FINGERPRINT), base64. */
  readonly fingerprint: string;
  readonly offset: number;
}

export interface FollowOptions {
  /** How often the file is looked at when nothing new was found, in ms. */
  readonly pollMs: number;
  /** Where to start: a saved position (resumed when it is the same file), else the end or the start of the file. */
  readonly resume?: FollowPosition | null;
  readonly fromStart?: boolean;
  /** Told when the follower starts another file, with why ("rotated", "truncated", "appeared"). */
  readonly onEvent?: (what: string) => void;
  /** Told once the file is open, with the byte it is read from. */
  readonly onOpen?: (offset: number) => void;
}

const FINGERPRINT = 64;
const CHUNK = 1 << 20;
/** An unfinished line longer than this is let through as it is (readLogs counts it as too long). */
const MAX_CARRY = 4 << 20;
/** At most this many polls are spent reading a rotated file's last lines before the new file is read. */
const DRAIN_POLLS = 20;

/** Thrown inside the follower when it is stopped while waiting for a file operation. */
class Stopped extends Error {}

export class Follower implements AsyncIterable<Buffer> {
  private stopped = false;
  private wake: (() => void) | null = null;
  private onStop: () => void = () => undefined;
  /** Settles when stop() is called: a file operation that never answers (a connection gone) cannot hold the stop. */
  private readonly stopping = new Promise<never>((_, reject) => (this.onStop = () => reject(new Stopped())));

  constructor(
    private readonly access: FileAccess,
    readonly path: string,
    private readonly opts: FollowOptions,
  ) {
    // Handled where it is raced; this keeps it from counting as unhandled when no operation is waiting.
    this.stopping.catch(() => undefined);
  }
  private file: FollowedFile | null = null;
  private id: string | null = null;
  private fingerprint = Buffer.alloc(0);
  /** Bytes of the file up to the end of the last whole line handed out. */
  private offset = 0;
  /** Bytes up to which the consumer has taken the lines (handed out and asked for more). */
  private committed = 0;

  get name(): string {
    return this.access.where === 'local' ? this.path : `${this.access.where}${this.path}`;
  }

  /** What to save: the position after the lines the consumer has taken. */
  position(): FollowPosition {
    return { path: this.path, id: this.id, fingerprint: this.fingerprint.toString('base64'), offset: this.committed };
  }

  /** Ends the iteration at the next wait. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
    this.onStop();
  }

  /** `p`, unless the follower is stopped first. */
  private io<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.stopping]);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /** Whether the file now at `path` is the one open. */
  private async same(now: { id: string | null; size: number }): Promise<boolean> {
    if (now.id !== null && this.id !== null) return now.id === this.id;
    if (this.fingerprint.length === 0) return true;
    if (now.size < this.fingerprint.length) return false;
    const f = await this.io(this.access.open(this.path)).catch((e: unknown) => {
      if (e instanceof Stopped) throw e;
      return null;
    });
    if (!f) return false;
    try {
      const head = Buffer.alloc(this.fingerprint.length);
      const n = await this.io(f.read(head, 0));
      return n === head.length && head.equals(this.fingerprint);
    } finally {
      void f.close().catch(() => undefined);
    }
  }

  private async openAt(now: { id: string | null; size: number }, offset: number): Promise<void> {
    this.file = await this.io(this.access.open(this.path));
    this.id = now.id;
    this.offset = this.committed = offset;
    this.fingerprint = Buffer.alloc(0);
    await this.takeFingerprint();
  }

  private async takeFingerprint(): Promise<void> {
    if (this.fingerprint.length >= FINGERPRINT || !this.file) return;
    const head = Buffer.alloc(FINGERPRINT);
    const n = await this.io(this.file.read(head, 0));
    if (n > this.fingerprint.length) this.fingerprint = Buffer.from(head.subarray(0, n));
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    let carry: Buffer = Buffer.alloc(0);
    /** Hands out the whole lines of carry + data; keeps the unfinished one. */
    /**
     * Hands out the whole lines of `all` (the unfinished line carried over, then what was just read, in one
     * buffer of its own: no copy of the block is made); keeps the unfinished one. `flush` ends the file.
     */
    const lines = (all: Buffer, flush: boolean): Buffer | null => {
      const nl = all.lastIndexOf(10);
      if (flush && all.length > 0 && nl < all.length - 1) {
        carry = Buffer.alloc(0);
        return Buffer.concat([all, Buffer.from('\n')]);
      }
      if (nl < 0 && all.length <= MAX_CARRY) {
        carry = Buffer.from(all);
        return null;
      }
      const cut = nl < 0 ? all.length : nl + 1;
      carry = Buffer.from(all.subarray(cut));
      return all.subarray(0, cut);
    };
    const give = function* (this: Follower, out: Buffer | null, endOffset: number): Generator<Buffer> {
      if (!out) return;
      this.offset = endOffset;
      yield out;
      this.committed = endOffset;
    }.bind(this);

    try {
      // Start: a saved position in the same file, else the end of the file (or its start with fromStart).
      // A log that is not there yet is read from its start when it appears (tail -F does the same).
      let appeared = false;
      while (!this.file && !this.stopped) {
        const now = await this.io(this.access.identity(this.path));
        if (now) {
          const saved = this.opts.resume;
          let start = this.opts.fromStart || appeared ? 0 : now.size;
          if (saved && saved.path === this.path) {
            this.id = saved.id;
            this.fingerprint = Buffer.from(saved.fingerprint, 'base64');
            start = (await this.same(now)) && now.size >= saved.offset ? saved.offset : 0;
            if (start === 0 && saved.offset > 0) this.opts.onEvent?.('rotated while stopped: reading the new file from its start');
          }
          await this.openAt(now, start);
          this.opts.onOpen?.(start);
        } else {
          appeared = true;
          await this.sleep(this.opts.pollMs);
        }
      }
      // Polls since the path was seen to name another file: the old one may still be written for a moment
      // (a server's workers finish their requests on the old descriptor after a graceful reload).
      let draining = 0;
      let quiet = false;
      while (!this.stopped) {
        const buf = Buffer.allocUnsafe(carry.length + CHUNK);
        carry.copy(buf, 0);
        const n = await this.io(this.file!.read(buf.subarray(carry.length), this.offset + carry.length));
        if (n > 0) {
          quiet = false;
          const readTo = this.offset + carry.length + n;
          if (this.fingerprint.length < FINGERPRINT && this.offset + carry.length < FINGERPRINT) await this.takeFingerprint();
          const out = lines(buf.subarray(0, carry.length + n), false);
          yield* give(out, readTo - carry.length);
          continue;
        }
        // At the end of the open file: has it been rotated or truncated?
        const now = await this.io(this.access.identity(this.path));
        const end = this.offset + carry.length;
        if (now && !(await this.same(now))) {
          if (draining === 0 || (!quiet && draining < DRAIN_POLLS)) {
            draining++;
            quiet = true;
            await this.sleep(this.opts.pollMs);
            continue;
          }
          draining = 0;
          // Renamed away and a new file made: the old one is finished (it was read to its end just now).
          yield* give(lines(carry, true), end);
          void this.file!.close().catch(() => undefined);
          await this.openAt(now, 0);
          this.opts.onEvent?.('rotated: reading the new file from its start');
          continue;
        }
        if (now && now.size < end) {
          // Copied and truncated: what was written since is at the start.
          yield* give(lines(carry, true), end);
          this.offset = this.committed = 0;
          carry = Buffer.alloc(0);
          this.fingerprint = Buffer.alloc(0);
          await this.takeFingerprint();
          this.opts.onEvent?.('truncated: reading it again from its start');
          continue;
        }
        await this.sleep(this.opts.pollMs);
      }
    } catch (err) {
      if (!(err instanceof Stopped)) throw err;
    } finally {
      // Not waited for: on a connection that is gone, the answer may never come.
      void this.file?.close().catch(() => undefined);
      this.file = null;
    }
  }
}
