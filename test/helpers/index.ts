import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import type { Callback, Test } from 'uvu';
import type { Io } from '../../src/core/io.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/logwarden.js');

const made: string[] = [];
// Tests leave nothing behind: every folder made here goes when the test process ends, however it ends.
const removeAll = () => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
};
process.on('exit', removeAll);
// Stopped by a timeout or Ctrl-C: the folders go too (an 'exit' handler alone does not run on a signal).
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const)
  process.once(signal, () => {
    removeAll();
    process.exit(128 + (signal === 'SIGHUP' ? 1 : signal === 'SIGINT' ? 2 : 15));
  });

export function tempDir(prefix = 'logwarden-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

/** The reference copy of the real logs, beside the clone (not in every clone). */
export const SHARED_DATASETS = resolve(ROOT, '../shared/datasets');
/** The compressed copies the project ships, for the logs whose licence allows it. */
export const SHIPPED_DATASETS = join(ROOT, 'test/fixtures/datasets');

/** Inflates the shipped copies into `to`, keeping the shared folder's layout (`x.log.gz` becomes `x.log`). */
export function inflateDatasets(from: string, to: string): void {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    if (entry.isDirectory()) {
      mkdirSync(join(to, entry.name), { recursive: true });
      inflateDatasets(source, join(to, entry.name));
    } else if (entry.name.endsWith('.gz')) writeFileSync(join(to, entry.name.slice(0, -3)), gunzipSync(readFileSync(source)));
    else copyFileSync(source, join(to, entry.name));
  }
}

/**
 * Where the tests read the real logs: ../shared/datasets when it sits beside the clone (unless
 * LOGWARDEN_NO_SHARED=1), else the shipped copies inflated once per test process into a temp folder.
 */
export const DATASETS = (() => {
  if (process.env.LOGWARDEN_NO_SHARED !== '1' && existsSync(SHARED_DATASETS)) return SHARED_DATASETS;
  const dir = tempDir('logwarden-datasets-');
  inflateDatasets(SHIPPED_DATASETS, dir);
  return dir;
})();

/**
 * `test`, or `test.skip` with one line naming the missing file, for a test on a log the project may not ship
 * (almhuette-raith-2019 states no licence): it runs only where ../shared/datasets is present.
 */
export function needing(t: Test, ...files: string[]): (name: string, fn: Callback) => void {
  const missing = files.find((f) => !existsSync(f));
  if (missing === undefined) return t;
  const shown = missing.startsWith(DATASETS) ? join(relative(ROOT, SHARED_DATASETS), relative(DATASETS, missing)) : missing;
  return (name, fn) => {
    process.stdout.write(`  skipped "${name}": needs ${shown}, which is not shipped with the project\n`);
    t.skip(name, fn);
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would. */
export function runCli(args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((res) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...opts.env }, cwd: opts.cwd ?? ROOT, maxBuffer: 64 << 20, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        res({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    else child.stdin!.end();
  });
}

/** An Io whose output is collected, for calling commands in-process. */
export function memoryIo(stdin: Buffer[] = []): Io & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, cb) {
        append(String(chunk));
        cb();
      },
    });
  return {
    cwd: ROOT,
    env: {},
    stdout: sink((s) => (out += s)),
    stderr: sink((s) => (err += s)),
    stdin: (async function* () {
      yield* stdin;
    })(),
    out: () => out,
    err: () => err,
  };
}
