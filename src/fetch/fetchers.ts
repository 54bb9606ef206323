/** One fetcher per kind of source; each writes files into its own folder and says what it wrote. */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, statSync, unlinkSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import picomatch from 'picomatch';
import { globSync } from 'tinyglobby';
import { sshConnect, type SshOptions } from '../adapters/ssh.js';
import { syncRepository } from '../adapters/git.js';
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
  readonly maxHttpBytes: number;
  readonly timeoutMs: number;
}

export interface SourceResult {
  readonly files: FetchedFile[];
  readonly state?: TrackedFile[];
  readonly note?: string;
}

const GLOB = /[*?[\]{}]/;

async function fetchLocal(s: Extract<Source, { kind: 'local' }>, ctx: FetchContext): Promise<SourceResult> {
  let paths: string[];
  if (existsSync(s.pattern) && statSync(s.pattern).isFile()) paths = [s.pattern];
  else if (existsSync(s.pattern) && statSync(s.pattern).isDirectory()) paths = globSync('**/*', { cwd: s.pattern, onlyFiles: true, absolute: true }).sort();
  else if (GLOB.test(s.pattern)) paths = globSync(s.pattern, { onlyFiles: true, absolute: true }).sort();
  else throw new SourceError(`no such file or directory: ${s.pattern}`, 'usage');
  if (paths.length === 0) throw new SourceError(`nothing matches ${s.pattern}`, 'usage');
  mkdirSync(ctx.dir, { recursive: true });
  const files: FetchedFile[] = [];
  for (const p of paths) {
    const dest = join(ctx.dir, basename(p));
    await pipeline(createReadStream(p), createWriteStream(dest));
    files.push({ path: dest, origin: resolve(p) });
  }
  return { files };
}

async function fetchHttp(s: Extract<Source, { kind: 'http' }>, ctx: FetchContext): Promise<SourceResult> {
  let res: Response;
  try {
    res = await fetch(s.url, { signal: AbortSignal.timeout(ctx.timeoutMs), redirect: 'follow' });
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
    sync = await syncRepository(s.url, s.ref, cache, ctx.gitToken, ctx.timeoutMs * 6);
  } catch (err) {
    throw new SourceError((err as Error).message, 'upstream');
  }
  const local: Source = { kind: 'local', text: s.text, pattern: join(cache, s.path) };
  let result: SourceResult;
  try {
    result = await fetchLocal(local as Extract<Source, { kind: 'local' }>, ctx);
  } catch (err) {
    throw new SourceError(`${(err as Error).message.replace(cache, `${s.ref ?? 'HEAD'}:`).replace(':/', ':')} in the repository`, 'usage');
  }
  return {
    files: result.files.map((f) => ({ ...f, origin: `${s.url}#${s.ref ?? 'HEAD'}:${relative(cache, f.origin)}` })),
    note: `${sync.cloned ? 'cloned' : 'fast-forwarded to'} ${sync.commit.slice(0, 12)}`,
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
      readRange: (path, start, end) =>
        new Promise((res, rej) => {
          const chunks: Buffer[] = [];
          sftp
            .createReadStream(path, { start, end: end - 1 })
            .on('data', (c: Buffer) => chunks.push(c))
            .on('error', rej)
            .on('end', () => res(Buffer.concat(chunks)));
        }),
      stream: (path, start) => sftp.createReadStream(path, { start }) as unknown as Readable,
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

