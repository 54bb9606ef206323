/**
 * Building the client table from the inputs. A big plain log file is cut into contiguous byte ranges at line
 * boundaries, one per thread: worker threads read the others while this thread reads the first, and the
 * tables merge exactly (see aggregate.ts), so the thread count changes no count. Smaller files, compressed
 * files and standard input are read in this thread. A file named twice (or reached twice through a link)
 * is read once.
 */
import { namedFormat } from '../logs/layout.js';
import { compileIgnore, NO_IGNORE, type IgnoreRules } from '../logs/ignore.js';
import { statSync } from 'node:fs';
import { readInto } from '../adapters/files.js';
import { Worker } from 'node:worker_threads';
import type { LogFormat } from '../logs/formats.js';
import type { JsonFieldMap } from '../logs/parse.js';
import { addStats, detectFormat, emptyStats, readLogs, type InputStats, type LogInput, type ParseStats } from '../logs/read.js';
import { ClientTable } from '../table/table.js';
import type { AddressSet } from '../core/address.js';
import { readRange, type RangeJob, type RangeResult } from './worker.js';
import { packagePath } from '../core/paths.js';

export interface BuildOptions {
  readonly format?: LogFormat;
  readonly jsonFields?: JsonFieldMap;
  readonly ipv6Prefix: number;
  /** See AggregateOptions.trustedProxies. */
  readonly trustedProxies?: AddressSet;
  /** The operator's own automation, left out (logs/ignore.ts). */
  readonly ignore?: IgnoreRules;
  readonly threads?: number;
  readonly maxLineBytes?: number;
  /** Smallest file worth splitting. */
  readonly minSplitBytes?: number;
  /** Bytes read of all inputs; lines read of the current input (when this thread reads it), and its name. */
  readonly onProgress?: (bytesRead: number, linesRead: number | null, input: string) => void;
}

const HEAD_BYTES = 1 << 18;
const TIMING = Boolean(process.env.LOGWARDEN_TIMING);

const readHead = (path: string, at: number, length: number): Buffer => readInto(path, Buffer.alloc(length), at, length);

/** The offset of the first line that starts after `at` in a file of `size` bytes (`size` when none does). */
export function lineStartAfter(path: string, at: number, size: number): number {
  for (;;) {
    const chunk = readHead(path, at, 1 << 16);
    if (chunk.length === 0) return size;
    const nl = chunk.indexOf(10);
    if (nl >= 0) return at + nl + 1;
    at += chunk.length;
  }
}

/** Byte offsets that cut a file into `parts` ranges, each starting at a line. */
export function splitPoints(path: string, size: number, parts: number): number[] {
  const points = [0];
  for (let i = 1; i < parts; i++) {
    const guess = Math.floor((size * i) / parts);
    if (guess <= points[points.length - 1]!) continue;
    const at = lineStartAfter(path, guess, size);
    if (at < size && at > points[points.length - 1]!) points.push(at);
  }
  points.push(size);
  return points;
}

// Run from TypeScript sources (the tests) or from the one-file bundle too, the worker is the build's
// dist/features/worker.js, which `npm test` makes first: worker threads do not inherit tsx's loader.
const WORKER_SCRIPT = packagePath('dist', 'features', 'worker.js');

function runJobs(jobs: RangeJob[], threads: number, onBytes: (n: number) => void): Promise<RangeResult[]> {
  const results = new Array<RangeResult>(jobs.length);
  if (jobs.length === 0) return Promise.resolve(results);
  let next = 0;
  return new Promise((resolve, reject) => {
    let live = 0;
    let failed = false;
    const start = () => {
      const w = new Worker(WORKER_SCRIPT);
      live++;
      const give = () => {
        if (failed || next >= jobs.length) {
          void w.terminate();
          return;
        }
        const i = next++;
        w.once('message', function onDone(msg: { type: string; bytes?: number; stats?: ParseStats; parts?: RangeResult['parts']; message?: string }) {
          if (msg.type === 'progress') {
            onBytes(msg.bytes!);
            w.once('message', onDone);
            return;
          }
          if (msg.type === 'error') {
            failed = true;
            reject(new Error(msg.message));
            void w.terminate();
            return;
          }
          onBytes(msg.bytes!);
          results[i] = { stats: msg.stats!, parts: msg.parts! };
          give();
        });
        w.postMessage(jobs[i]);
      };
      w.on('error', (e) => {
        failed = true;
        reject(e);
      });
      w.on('exit', () => {
        live--;
        if (live === 0 && !failed) resolve(results);
      });
      give();
    };
    for (let t = 0; t < Math.min(threads, jobs.length); t++) start();
  });
}

/** A plain (not compressed, not empty) regular file, with its format, or null when it must be read as a stream. */
function plainFile(input: LogInput, opts: BuildOptions): { path: string; size: number; format: LogFormat } | null {
  if (input.name === '-' || !input.size) return null;
  let st;
  try {
    st = statSync(input.name);
  } catch {
    return null;
  }
  if (!st.isFile()) return null;
  let head: Buffer;
  try {
    head = readHead(input.name, 0, HEAD_BYTES);
  } catch {
    return null; // unreadable: the stream reader reports it for this input and goes on with the others
  }
  if (head[0] === 0x1f && head[1] === 0x8b) return null;
  let format = opts.format;
  if (!format) {
    const lines = head
      .toString('latin1')
      .split('\n')
      .slice(0, 64)
      .filter(Boolean)
      .map((l) => Buffer.from(l.replace(/\r$/, ''), 'latin1'));
    // Not found in the head (overlong lines, say): the stream reader detects it its own way, or says why not.
    const found = detectFormat(lines, opts.jsonFields);
    if (!found) return null;
    format = found;
  }
  return { path: input.name, size: st.size, format };
}

export async function buildClientTable(inputs: readonly LogInput[], opts: BuildOptions): Promise<{ table: ClientTable; stats: ParseStats }> {
  // One thread unless asked: measured on 2 cores, a second one saved nothing on 2 M lines and 13 % on 10 M,
  // for half as much memory again (README, Performance).
  // Worker threads are told a format by name: a layout from --log-format is read in this one.
  const threads = namedFormat(opts.format) ? Math.max(1, opts.threads ?? 1) : 1;
  const table = ClientTable.forReading({ ipv6Prefix: opts.ipv6Prefix, trustedProxies: opts.trustedProxies, ignore: compileIgnore(opts.ignore) });
  const stats = emptyStats();
  let bytes = 0;
  let current = '';
  const progress = (n: number) => {
    bytes += n;
    opts.onProgress?.(bytes, null, current);
  };
  const minSplit = opts.minSplitBytes ?? 16 << 20;
  for (const input of inputs) {
    current = input.name;
    // Big plain files go to worker threads over byte ranges; anything else (gzip, standard input, small
    // files) streams through this thread.
    const big = threads > 1 && (input.size ?? 0) >= minSplit;
    const plan = big ? plainFile(input, opts) : null;
    if (!plan) {
      const before = bytes;
      const s = await readLogs(
        [input],
        {
          format: opts.format,
          jsonFields: opts.jsonFields,
          maxLineBytes: opts.maxLineBytes,
          onProgress: (b, l) => opts.onProgress?.(before + b, l, input.name),
        },
        (rec, buf, st, en) => table.add(rec, buf, st, en),
      );
      bytes += s.bytesRead;
      addStats(stats, s, 0, pushInput(stats, input.name, s.inputs[0]?.format ?? null), 10);
      continue;
    }
    const points = splitPoints(plan.path, plan.size, threads);
    const base = {
      path: plan.path,
      format: plan.format.name,
      jsonFields: opts.jsonFields,
      ipv6Prefix: opts.ipv6Prefix,
      trustedProxies: opts.trustedProxies?.entries() ?? [],
      ignore: opts.ignore ?? NO_IGNORE,
      maxLineBytes: opts.maxLineBytes,
    };
    const jobs: RangeJob[] = [];
    for (let i = 0; i + 1 < points.length; i++) jobs.push({ ...base, start: points[i]!, end: points[i + 1]! });
    // This thread reads the first range while workers read the others.
    let firstBytes = 0;
    const t0 = performance.now();
    const mark = <T>(what: string, p: Promise<T>) =>
      TIMING ? p.then((v) => (process.stderr.write(`timing:   ${what} done at ${(performance.now() - t0).toFixed(0)} ms\n`), v)) : p;
    // Workers first, then this thread's own range.
    const others = mark("workers' ranges", runJobs(jobs.slice(1), threads - 1, progress));
    const [first, rest] = await Promise.all([
      mark(
        "this thread's range",
        readRange(jobs[0]!, (b) => {
          progress(b - firstBytes);
          firstBytes = b;
        }),
      ),
      others,
    ]);
    const fileStats = pushInput(stats, input.name, plan.format.name);
    table.merge(ClientTable.fromParts(first.parts, { ipv6Prefix: opts.ipv6Prefix }));
    first.parts = null as never;
    addStats(stats, first.stats, 0, fileStats, 10);
    let lines = first.stats.linesRead + first.stats.blank;
    for (const r of rest) {
      const parts = ClientTable.fromParts(r.parts, { ipv6Prefix: opts.ipv6Prefix });
      if (TIMING) process.stderr.write(`timing:   unpacked at ${(performance.now() - t0).toFixed(0)} ms\n`);
      table.merge(parts);
      // Ranges number their lines from their own start.
      addStats(stats, r.stats, lines, fileStats, 10);
      lines += r.stats.linesRead + r.stats.blank;
      r.parts = null as never; // let the worker's copy go before the next merge
    }
    if (TIMING) process.stderr.write(`timing:   merged at ${(performance.now() - t0).toFixed(0)} ms\n`);
  }
  return { table, stats };
}

function pushInput(stats: ParseStats, name: string, format: string | null): InputStats {
  const s: InputStats = { name, format, lines: 0, parsed: 0, malformed: 0 };
  stats.inputs.push(s);
  return s;
}
