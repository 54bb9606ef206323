/**
 * `logwarden fetch`: gather access logs from web servers (SFTP, incremental), Git repositories, HTTP(S)
 * URLs and local paths into one directory, with a manifest the detect stage can read.
 */
import { STAGE_DEFAULTS } from '../core/defaults.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadConfig, maskSecrets } from '../core/config.js';
import { errors, EXIT, LogwardenError } from '../core/errors.js';
import type { Io } from '../core/io.js';
import { formatTime } from '../core/time.js';
import { validateDocument } from '../core/schemas.js';
import { writeJsonAtomic } from '../adapters/files.js';
import { defaultKnownHosts } from '../adapters/ssh.js';
import { fetchSource, sha256File, SourceError, type FetchedFile } from '../fetch/fetchers.js';
import type { FetchState } from '../fetch/incremental.js';
import { parseSource, redactUrl, sourceSlug, type Source } from '../fetch/sources.js';
import { expandInputs, readLogs } from '../logs/read.js';

export const MANIFEST_SCHEMA_VERSION = 1;

export interface FetchCommandOptions {
  readonly out: string;
  readonly sources: readonly string[];
  readonly config?: string;
  readonly state?: string;
  readonly sshKey?: string;
  readonly knownHosts?: string;
  readonly acceptNewHostKey?: boolean;
  readonly timeoutMs?: number;
  readonly gitCache?: string;
  readonly maxHttpBytes?: number;
  /** Hosts the Git token is sent to (HTTPS only); github.com by default. */
  readonly gitTokenHosts?: readonly string[];
  readonly json?: boolean;
}

export interface ManifestFile {
  source: string;
  origin: string;
  path: string;
  bytes: number;
  sha256: string;
  lines: number;
  timeRange: { first: string; last: string } | null;
  from?: number;
}

export interface Manifest {
  schemaVersion: number;
  fetchedAt: string;
  sources: Array<{ source: string; kind: Source['kind']; ok: boolean; error?: string; note?: string; files: number; bytes: number }>;
  files: ManifestFile[];
}

function loadState(path: string): FetchState {
  if (!existsSync(path)) return { schemaVersion: 1, files: {} };
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (err) {
    throw errors.badStageInput(path, `not valid JSON (${(err as Error).message})`);
  }
  return validateDocument<FetchState>('fetchState', path, doc);
}

async function timeRange(path: string): Promise<{ lines: number; range: ManifestFile['timeRange'] }> {
  try {
    const stats = await readLogs(expandInputs([path]), {}, () => true);
    const tz = stats.tzOffset ?? 0;
    return {
      lines: stats.linesRead,
      range: stats.firstTime === null || stats.lastTime === null ? null : { first: formatTime(stats.firstTime, tz), last: formatTime(stats.lastTime, tz) },
    };
  } catch {
    return { lines: 0, range: null };
  }
}

export async function runFetch(opts: FetchCommandOptions, io: Io): Promise<Manifest> {
  const cfg = loadConfig(opts.config ?? io.env.LOGWARDEN_CONFIG);
  const fromConfig = ((cfg.fetch ?? {}) as { sources?: string[] }).sources ?? [];
  const fromEnv = (io.env.LOGWARDEN_SOURCES ?? '').split(/[\s,]+/).filter(Boolean);
  const texts = opts.sources.length ? opts.sources : fromEnv.length ? fromEnv : fromConfig;
  if (texts.length === 0) throw errors.badOption('source', 'name at least one source (arguments, LOGWARDEN_SOURCES or fetch.sources in the config)');
  const sources = texts.map(parseSource); // an unknown kind is a usage error before anything is fetched
  const token = io.env.LOGWARDEN_GIT_TOKEN ?? io.env.GITHUB_TOKEN;
  const mask = (s: string) => redactUrl(maskSecrets(s, [token]));
  const tokenHosts = (opts.gitTokenHosts?.length ? opts.gitTokenHosts : (io.env.LOGWARDEN_GIT_TOKEN_HOSTS ?? 'github.com').split(/[\s,]+/)).filter(Boolean);
  const statePath = opts.state ?? io.env.LOGWARDEN_FETCH_STATE ?? STAGE_DEFAULTS.fetchState;
  const state = loadState(statePath);
  const manifest: Manifest = { schemaVersion: MANIFEST_SCHEMA_VERSION, fetchedAt: new Date().toISOString(), sources: [], files: [] };
  let failedUpstream = 0;
  let failedUsage = 0;

  // On a terminal, each source says when it starts (an SSH or Git source can take a while).
  const progress = io.stderr.isTTY === true && !opts.json;
  for (const [i, s] of sources.entries()) {
    const slug = sourceSlug(s, i);
    const key = redactUrl(s.text);
    if (progress) io.stderr.write(`fetching ${mask(s.text)} (${i + 1} of ${sources.length})...\n`);
    try {
      const result = await fetchSource(
        s,
        {
          dir: join(opts.out, slug),
          state: state.files[key] ?? [],
          ssh: {
            keyFile: opts.sshKey,
            passphrase: io.env.LOGWARDEN_SSH_PASSPHRASE,
            knownHosts: opts.knownHosts ?? defaultKnownHosts(),
            acceptNewHostKey: opts.acceptNewHostKey ?? false,
            timeoutMs: opts.timeoutMs ?? 20_000,
          },
          gitCache: opts.gitCache ?? io.env.LOGWARDEN_GIT_CACHE ?? STAGE_DEFAULTS.gitCache,
          gitToken: token,
          gitTokenHosts: tokenHosts,
          maxHttpBytes: opts.maxHttpBytes ?? 1 << 30,
          timeoutMs: opts.timeoutMs ?? 20_000,
        },
        slug,
      );
      let bytes = 0;
      for (const f of result.files as FetchedFile[]) {
        const size = statSync(f.path).size;
        bytes += size;
        const { lines, range } = await timeRange(f.path);
        manifest.files.push({
          source: mask(s.text),
          origin: mask(f.origin),
          path: relative(opts.out, f.path),
          bytes: size,
          sha256: await sha256File(f.path),
          lines,
          timeRange: range,
          ...(f.from !== undefined ? { from: f.from } : {}),
        });
      }
      if (result.state) state.files[key] = result.state;
      manifest.sources.push({ source: mask(s.text), kind: s.kind, ok: true, note: result.note, files: result.files.length, bytes });
      if (!opts.json) io.stdout.write(`ok     ${mask(s.text)}: ${result.files.length} files, ${bytes} bytes${result.note ? ` (${result.note})` : ''}\n`);
    } catch (err) {
      const why = mask(err instanceof Error ? err.message : String(err));
      if (err instanceof SourceError && err.kind === 'usage') failedUsage++;
      else failedUpstream++;
      manifest.sources.push({ source: mask(s.text), kind: s.kind, ok: false, error: why, files: 0, bytes: 0 });
      io.stderr.write(`logwarden: fetch ${mask(s.text)}: ${why}\n`);
    }
  }
  writeJsonAtomic(join(opts.out, 'manifest.json'), manifest);
  writeJsonAtomic(statePath, state);
  if (opts.json) io.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
  const failed = failedUpstream + failedUsage;
  if (failed === sources.length) {
    throw new LogwardenError(
      failedUpstream ? 'EUNREACHABLE' : 'EBADSOURCE',
      `no source could be fetched (${failed} failed)`,
      failedUpstream ? EXIT.unreachable : EXIT.usage,
    );
  }
  if (failed > 0) throw new LogwardenError('EPARTIAL', `${failed} of ${sources.length} sources failed; the others were fetched`, EXIT.partial);
  return manifest;
}
