import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import type { Io } from '../../src/core/io.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const DATASETS = resolve(ROOT, '../shared/datasets');
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
