/** One fetcher per kind of source; each writes files into its own folder and says what it wrote. */
import { createHash } from 'node:crypto';
import {
  constants,
  createReadStream,
  createWriteStream,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  realpathSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import picomatch from 'picomatch';
import { globSync } from 'tinyglobby';
import type { SFTPWrapper } from 'ssh2';
import { sshConnect, type SshOptions } from '../adapters/ssh.js';
import { GitError, syncRepository } from '../adapters/git.js';
import { fetchIncrementally, type FileAccess, type RemoteFile, type TrackedFile } from './incremental.js';
import type { Source } from './sources.js';

export class SourceError extends Error {
  constructor(
    message: string,
    /** 'usage': the source itself is wrong (a path that does not exist); 'upstream': it could not be reached. */
    readonly kind: 'usage' | 'upstream',
  ) {
    super(message);
  }
}

export interface FetchedFile {
  /** Local path of the copy. */
  readonly path: string;
  /** Where it came from (no credentials). */
  readonly origin: string;
  /** For incremental sources: the byte offset in the origin where this copy starts. */
  readonly from?: number;
}

export interface FetchContext {
  readonly dir: string;
  readonly state: TrackedFile[];
  readonly ssh: SshOptions;
  readonly gitCache: string;
  readonly gitToken?: string;
  /** Hosts the Git token may be sent to (github.com unless told otherwise). */
  readonly gitTokenHosts: readonly string[];
  readonly maxHttpBytes: number;
  readonly timeoutMs: number;
}

export interface SourceResult {
  readonly files: FetchedFile[];
  readonly state?: TrackedFile[];
  readonly note?: string;
}

const GLOB = /[*?[\]{}]/;

/** A regular file of a local source and its path relative to the source (kept in the copy's name). */
interface LocalFile {
  readonly path: string;
  readonly rel: string;
}

/**
 * The regular files of a local source: the named file, every regular file under a named folder (hidden ones
 * and links left out: a link could lead out of the source or back into it), or a glob's matches. Inside
 * `confine` (a Git clone) nothing outside it is read, the named path included. Each file, by device and
 * inode, is taken once.
 */
export function localFiles(pattern: string, confine: string | null): { files: LocalFile[]; skipped: string[] } {
  const skipped: string[] = [];
  const root = confine === null ? null : realpathSync(confine);
  const inside = (p: string): boolean => {
    if (root === null) return true;
    let real: string;
    try {
      real = realpathSync(p);
    } catch {
      return false;
    }
    return real === root || real.startsWith(root + sep);
  };
  let found: LocalFile[];
  if (!GLOB.test(pattern)) {
    let st;
    try {
      st = confine === null ? statSync(pattern) : lstatSync(pattern);
    } catch {
      throw new SourceError(`no such file or directory: ${pattern}`, 'usage');
    }
    if (!inside(pattern)) throw new SourceError(`${pattern} leads out of the source`, 'usage');
    if (st.isFile()) found = [{ path: pattern, rel: basename(pattern) }];
    else if (st.isDirectory()) found = walkRegularFiles(pattern, '', skipped);
    else throw new SourceError(`not a regular file or folder: ${pattern}`, 'usage');
  } else {
    const parts = pattern.split('/');
    const firstGlob = parts.findIndex((part) => GLOB.test(part));
    const named = parts.slice(0, firstGlob).join('/') || (pattern.startsWith('/') ? '/' : '.');
    // The folder the user named may itself be reached through a link (/var/log -> ...); what the glob
    // matches below it is taken only as regular files.
    let base: string;
    try {
      base = realpathSync(named);
    } catch {
      throw new SourceError(`no such file or directory: ${named}`, 'usage');
    }
    if (!inside(base)) throw new SourceError(`${named} leads out of the source`, 'usage');
    found = [];
    for (const p of globSync(parts.slice(firstGlob).join('/'), { cwd: base, onlyFiles: false, absolute: true, followSymbolicLinks: false }).sort()) {
      const st = lstatSync(p);
      if (st.isSymbolicLink()) skipped.push(p);
      else if (st.isFile() && inside(p)) found.push({ path: p, rel: relative(base, p) });
    }
  }
  const seen = new Set<string>();
  const files: LocalFile[] = [];
  for (const f of found) {
    const st = statSync(f.path);
    const id = `${st.dev}:${st.ino}`;
    if (seen.has(id)) continue;
    seen.add(id);
    files.push(f);
  }
  return { files, skipped };
}

function walkRegularFiles(dir: string, rel: string, skipped: string[]): LocalFile[] {
  const out: LocalFile[] = [];
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.name.startsWith('.')) continue;
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isSymbolicLink()) skipped.push(join(dir, r));
    else if (e.isDirectory()) out.push(...walkRegularFiles(dir, r, skipped));
    else if (e.isFile()) out.push({ path: join(dir, r), rel: r });
  }
  return out;
}

async function fetchLocal(s: Extract<Source, { kind: 'local' }>, ctx: FetchContext, confine: string | null = null): Promise<SourceResult> {
  const { files: found, skipped } = localFiles(s.pattern, confine);
  if (found.length === 0) throw new SourceError(`nothing matches ${s.pattern}`, 'usage');
  mkdirSync(ctx.dir, { recursive: true });
  const files: FetchedFile[] = [];
  const taken = new Set<string>();
  for (const f of found) {
    const dest = join(ctx.dir, f.rel);
    if (taken.has(dest)) throw new SourceError(`two files would be saved as ${f.rel}`, 'usage');
    taken.add(dest);
    mkdirSync(dirname(dest), { recursive: true });
    // O_NOFOLLOW: a file swapped for a link after it was listed is not followed.
    const fd = openSync(f.path, confine === null ? 'r' : constants.O_RDONLY | constants.O_NOFOLLOW);
    await pipeline(createReadStream('', { fd }), createWriteStream(dest));
    files.push({ path: dest, origin: resolve(f.path) });
  }
  const note = skipped.length
    ? `${skipped.length} links not followed: ${skipped
        .slice(0, 5)
        .map((p) => relative(s.pattern.replace(/[*?[\]{}].*$/, ''), p) || p)
        .join(', ')}`
    : undefined;
  return { files, ...(note ? { note } : {}) };
}

async function fetchHttp(s: Extract<Source, { kind: 'http' }>, ctx: FetchContext): Promise<SourceResult> {
  let res: Response;
  // Credentials in the URL go as a Basic header (fetch refuses them in a URL; it drops the header on a
  // redirect to another origin).
  const url = new URL(s.url);
  const headers: Record<string, string> = {};
  if (url.username || url.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  try {
    res = await fetch(url, { headers, signal: AbortSignal.timeout(ctx.timeoutMs), redirect: 'follow' });
  } catch (err) {
    throw new SourceError(`${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`, 'upstream');
  }
  if (!res.ok || !res.body) throw new SourceError(`HTTP ${res.status} ${res.statusText}`, 'upstream');
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > ctx.maxHttpBytes) {
    await res.body.cancel();
    throw new SourceError(`response of ${declared} bytes is over the size limit of ${ctx.maxHttpBytes} bytes`, 'upstream');
  }
  mkdirSync(ctx.dir, { recursive: true });
  const name = basename(new URL(s.url).pathname) || 'download.log';
  const dest = join(ctx.dir, name);
  const out = createWriteStream(dest);
  let total = 0;
  try {
    for await (const chunk of Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>)) {
      total += (chunk as Buffer).length;
      if (total > ctx.maxHttpBytes) throw new SourceError(`response is over the size limit of ${ctx.maxHttpBytes} bytes`, 'upstream');
      if (!out.write(chunk)) await once(out, 'drain');
    }
  } catch (err) {
    out.destroy();
    if (existsSync(dest)) unlinkSync(dest);
    throw err instanceof SourceError ? err : new SourceError((err as Error).message, 'upstream');
  }
  out.end();
  await once(out, 'finish');
  return { files: [{ path: dest, origin: s.url }] };
}

async function fetchGit(s: Extract<Source, { kind: 'git' }>, ctx: FetchContext, slug: string): Promise<SourceResult> {
  const cache = join(ctx.gitCache, slug);
  let sync;
  try {
    sync = await syncRepository(s.url, s.ref, cache, ctx.gitToken, ctx.timeoutMs * 6, ctx.gitTokenHosts);
  } catch (err) {
    throw new SourceError((err as Error).message, err instanceof GitError && err.usage ? 'usage' : 'upstream');
  }
  const local: Source = { kind: 'local', text: s.text, pattern: join(cache, s.path) };
  let result: SourceResult;
  try {
    result = await fetchLocal(local as Extract<Source, { kind: 'local' }>, ctx, cache);
  } catch (err) {
    throw new SourceError(`${(err as Error).message.replace(cache, `${s.ref ?? 'HEAD'}:`).replace(':/', ':')} in the repository`, 'usage');
  }
  return {
    files: result.files.map((f) => ({ ...f, origin: `${s.url}#${s.ref ?? 'HEAD'}:${relative(cache, f.origin)}` })),
    note: [`${sync.cloned ? 'cloned' : 'fast-forwarded to'} ${sync.commit.slice(0, 12)}`, result.note].filter(Boolean).join('; '),
  };
}

async function fetchSsh(s: Extract<Source, { kind: 'ssh' }>, ctx: FetchContext): Promise<SourceResult> {
  let session;
  try {
    session = await sshConnect({ user: s.user, host: s.host, port: s.port }, ctx.ssh);
  } catch (err) {
    throw new SourceError((err as Error).message, 'upstream');
  }
  try {
    const sftp = await session.sftp();
    const entries = await new Promise<Array<{ filename: string; attrs: { size: number; mode: number } }>>((res, rej) =>
      sftp.readdir(s.dir, (err, list) => (err ? rej(new SourceError(`${s.dir}: ${err.message}`, 'usage')) : res(list as never))),
    );
    const match = picomatch(s.pattern, { dot: false });
    const regular = entries.filter((e) => (e.attrs.mode & 0o170000) === 0o100000 && match(e.filename)).sort((a, b) => (a.filename < b.filename ? -1 : 1));
    const paths = regular.map((e) => `${s.dir.replace(/\/$/, '')}/${e.filename}`);
    // Inodes tell a renamed file from a new one; an SFTP-only account without a shell simply goes without.
    const inodes = new Map<string, string>();
    if (paths.length > 0) {
      const st = await session.run(['stat', '-c', '%i %n', '--', ...paths]).catch(() => null);
      for (const line of st?.code === 0 ? st.stdout.split('\n') : []) {
        const sp = line.indexOf(' ');
        if (sp > 0) inodes.set(line.slice(sp + 1), line.slice(0, sp));
      }
    }
    const files: RemoteFile[] = regular.map((e, i) => ({ path: paths[i]!, name: e.filename, size: e.attrs.size, inode: inodes.get(paths[i]!) }));
    const access: FileAccess = {
      readRange: async (path, start, end) => {
        const chunks: Buffer[] = [];
        for await (const c of sftpRead(sftp, path, start, end)) chunks.push(c);
        return Buffer.concat(chunks);
      },
      stream: (path, start) => Readable.from(sftpRead(sftp, path, start, Infinity), { objectMode: false }),
    };
    mkdirSync(ctx.dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const { pieces, state } = await fetchIncrementally(files, ctx.state, access, (f) => join(ctx.dir, `${f.name.replace(/\.gz$/, '')}.${stamp}`));
    return {
      files: pieces.map((p) => ({ path: p.localPath, origin: `ssh://${s.user}@${s.host}:${s.port}${p.remote.path}`, from: p.from })),
      state,
      note: `${files.length} remote files matched, ${pieces.length} had new lines`,
    };
  } finally {
    await session.close();
  }
}

/**
 * Bytes [start, end) of a remote file, read through one SFTP handle that is closed, and its close confirmed by
 * the server, before the generator returns or throws: an SFTP ReadStream could still be waiting for that
 * confirmation when the session ended, and then failed with no listener (a crash after a good fetch).
 */
async function* sftpRead(sftp: SFTPWrapper, path: string, start: number, end: number): AsyncGenerator<Buffer> {
  const handle = await new Promise<Buffer>((res, rej) =>
    sftp.open(path, 'r', (err, h) => (err ? rej(new SourceError(`${path}: ${err.message}`, 'upstream')) : res(h))),
  );
  try {
    let pos = start;
    while (pos < end) {
      const want = Math.min(SFTP_CHUNK, end - pos);
      const buf = Buffer.allocUnsafe(want);
      const n = await new Promise<number>((res, rej) =>
        sftp.read(handle, buf, 0, want, pos, (err, bytes) => (err ? rej(new SourceError(`${path}: ${err.message}`, 'upstream')) : res(bytes))),
      );
      if (n <= 0) break;
      pos += n;
      yield buf.subarray(0, n);
    }
  } finally {
    await new Promise<void>((res) => sftp.close(handle, () => res()));
  }
}
const SFTP_CHUNK = 64 * 1024;

export async function fetchSource(s: Source, ctx: FetchContext, slug: string): Promise<SourceResult> {
  switch (s.kind) {
    case 'local':
      return fetchLocal(s, ctx);
    case 'http':
      return fetchHttp(s, ctx);
    case 'git':
      return fetchGit(s, ctx, slug);
    case 'ssh':
      return fetchSsh(s, ctx);
  }
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}
