/**
 * The fuzzing of the table-reading path, run in a worker thread (test/table/fuzz.test.ts watches it: a case
 * that hangs is stopped and named). Each case is a good table with seeded damage to its header (one field
 * deleted or set to a value of another type or range) or to its arrays (bytes or values overwritten), maybe
 * cut short or gzipped; `detect --tables` must end in a one-line error of exit code 2, or a result.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runDetect } from '../../src/commands/detect.js';
import { isLogwardenError } from '../../src/core/errors.js';
import { seededRandom } from '../../src/core/random.js';
import { memoryIo } from './index.js';
import { joinTable, splitTable } from './tables.js';

interface Job {
  readonly table: string;
  readonly dir: string;
  readonly seed: number;
  readonly runs: number;
}
const job = workerData as Job;
const random = seededRandom(job.seed);
const pick = <T>(a: readonly T[]): T => a[Math.floor(random() * a.length)]!;

/** Every place in a JSON value: [parent, key] pairs. */
function places(v: unknown, out: Array<[Record<string, unknown> | unknown[], string | number]> = []) {
  if (Array.isArray(v))
    v.forEach((x, i) => {
      out.push([v, i]);
      places(x, out);
    });
  else if (typeof v === 'object' && v !== null)
    for (const [k, x] of Object.entries(v)) {
      out.push([v as Record<string, unknown>, k]);
      places(x, out);
    }
  return out;
}

const values = (old: unknown): unknown[] => [
  null,
  -1,
  0,
  1,
  1.5,
  -1e12,
  1e12,
  2 ** 53,
  'abc',
  '',
  'x'.repeat(100_000),
  [],
  ['x'],
  {},
  true,
  typeof old === 'number' ? old * 2 : 7,
  typeof old === 'number' ? old + 1 : 8,
  typeof old === 'number' ? -old : -9,
  typeof old === 'number' ? old - 1 : '0.0.0.0/0',
];

const good = (await import('node:fs')).readFileSync(job.table);
const { version, header, arrays } = splitTable(good);
const counts = { refused: 0, read: 0 };
for (let run = 0; run < job.runs; run++) {
  const h = JSON.parse(JSON.stringify(header)) as Record<string, unknown>;
  const body = Buffer.from(arrays);
  const what: string[] = [];
  const damages = 1 + Math.floor(random() * 3);
  for (let k = 0; k < damages; k++) {
    if (random() < 0.6) {
      const [parent, key] = pick(places(h));
      if (random() < 0.25 && !Array.isArray(parent)) {
        delete parent[key as string];
        what.push(`delete ${String(key)}`);
      } else {
        const v = pick(values((parent as Record<string | number, unknown>)[key]));
        (parent as Record<string | number, unknown>)[key] = v;
        what.push(`${String(key)} = ${JSON.stringify(v)?.slice(0, 20)}`);
      }
    } else {
      // A value in the arrays overwritten: a byte, or a whole 32-bit word (an offset, a count, a length).
      const at = Math.floor(random() * (body.length - 12));
      if (random() < 0.5) body[at] = Math.floor(random() * 256);
      else body.writeInt32LE(pick([-1, -2, 0, 1, 2 ** 31 - 1, Math.floor(random() * 2 ** 31), -(2 ** 31)]), at - (at % 4));
      what.push(`arrays byte ${at}`);
    }
  }
  let bytes = joinTable(version, JSON.stringify(h), body);
  if (random() < 0.05) {
    bytes = bytes.subarray(0, Math.floor(random() * bytes.length));
    what.push('cut');
  }
  if (random() < 0.1) {
    bytes = gzipSync(bytes);
    what.push('gzipped');
  }
  parentPort!.postMessage({ run, what: what.join('; ') });
  const f = join(job.dir, `fuzz-${run}.lwtable`);
  writeFileSync(f, bytes);
  try {
    // Every tenth case with the report too (its malformed samples and charts read the header's statistics).
    await runDetect({ inputs: [], tables: [f], out: join(job.dir, 'out'), quiet: true, report: run % 10 === 0 }, memoryIo());
    counts.read++;
  } catch (err) {
    if (!isLogwardenError(err) || err.exitCode !== 2 || err.message.includes('\n')) {
      parentPort!.postMessage({ run, what: what.join('; '), failed: (err as Error).stack ?? String(err) });
      process.exit(1);
    }
    counts.refused++;
  }
}
parentPort!.postMessage({ done: counts });
