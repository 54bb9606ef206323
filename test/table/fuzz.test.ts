/**
 * The table-reading path fuzzed: several hundred tables, each a good one with seeded damage (header fields
 * deleted or set to values of another type or range, values in the arrays overwritten, cut short, gzipped),
 * through `detect --tables`. Each ends in a one-line error of exit code 2, or a result; none hangs (the cases
 * run in a worker, stopped and named when one takes over 20 s).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { runAggregate } from '../../src/commands/aggregate.js';
import { DATASETS, memoryIo, tempDir } from '../helpers/index.js';

const dir = tempDir();
const RUNS = 400;

test(`${RUNS} damaged tables: each refused with one line (exit 2) or read, none hangs`, async () => {
  const log = join(dir, 'small.log');
  const lines = readFileSync(join(DATASETS, 'elastic-apache/apache_logs.log'), 'utf8').split('\n').slice(0, 1500);
  writeFileSync(log, `${lines.join('\n')}\n`);
  const table = join(dir, 'small.lwtable');
  await runAggregate({ inputs: [log], out: table, quiet: true }, memoryIo());
  const worker = new Worker(
    // The worker loads TypeScript as this process does (tsx's loader, registered in the worker itself).
    `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('../helpers/table-fuzz.ts', import.meta.url).href)}); })`,
    { eval: true, workerData: { table, dir, seed: 29, runs: RUNS } },
  );
  let last = { run: -1, what: '' };
  let timer: NodeJS.Timeout | undefined;
  const result = await new Promise<{ refused: number; read: number }>((resolve, reject) => {
    const watch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        void worker.terminate();
        reject(new Error(`case ${last.run} (${last.what}) did not end within 20 s`));
      }, 20_000);
    };
    watch();
    worker.on('message', (m: { run?: number; what?: string; failed?: string; done?: { refused: number; read: number } }) => {
      if (m.done) return resolve(m.done);
      if (m.failed) return reject(new Error(`case ${m.run} (${m.what}): not a one-line usage error:\n${m.failed}`));
      last = { run: m.run!, what: m.what! };
      watch();
    });
    worker.on('error', reject);
    worker.on('exit', (code) => code !== 0 && reject(new Error(`the fuzzing worker ended with ${code} at case ${last.run} (${last.what})`)));
  }).finally(() => clearTimeout(timer));
  await worker.terminate();
  assert.is(result.refused + result.read, RUNS);
  assert.ok(result.refused > RUNS / 2, `${result.refused} refused, ${result.read} read`);
});

test.run();
