/**
 * Reading one byte range of a log file into a packed client table: in a worker thread (see
 * features/build.ts), or in this one. The native reader does it when it is built and the format is of the
 * Apache/nginx family; the JavaScript reader otherwise.
 */
import { createReadStream } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { canonicalAddress, clientKey } from '../core/address.js';
import { findFormat, type ClfFormat } from '../logs/formats.js';
import type { JsonFieldMap } from '../logs/parse.js';
import { addStats, emptyStats, readLogs, type ParseStats } from '../logs/read.js';
import { nativeReader, type NativeModule, type NativeTable } from '../native/index.js';
import { ClientTable } from './aggregate.js';
import { Timeline } from './timeline.js';

export interface RangeJob {
  readonly path: string;
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  readonly format: string;
  readonly jsonFields?: JsonFieldMap;
  readonly ipv6Prefix: number;
  readonly maxLineBytes?: number;
  /** Use the JavaScript reader even when the native one is there. */
  readonly javascript?: boolean;
}

export interface RangeResult {
  stats: ParseStats;
  parts: ReturnType<ClientTable['parts']>;
}

/** Reads one range of a file into a packed client table (ClientTable.fromParts unpacks it). */
export async function readRange(job: RangeJob, onBytes?: (n: number) => void): Promise<RangeResult> {
  const format = findFormat(job.format);
  const native = format?.kind === 'clf' && !job.javascript ? nativeReader() : null;
  if (native) {
    const r = await readNative(native, { files: [{ path: job.path, size: job.end }], segments: [0, job.start, job.end], parts: [0, 1], ipv6Prefix: job.ipv6Prefix, maxLineBytes: job.maxLineBytes }, format as ClfFormat, onBytes);
    return { stats: r.files[0]!, parts: r.parts };
  }
  const table = new ClientTable({ ipv6Prefix: job.ipv6Prefix });
  const stats = await readLogs(
    [{ name: job.path, size: job.end - job.start, path: job.path, start: job.start, end: job.end, open: () => createReadStream(job.path, { start: job.start, end: job.end - 1, highWaterMark: 1 << 20 }) }],
    { format, jsonFields: job.jsonFields, maxLineBytes: job.maxLineBytes, onProgress: onBytes },
    (rec, buf, s, e) => table.add(rec, buf, s, e),
  );
  return { parts: table.parts(), stats };
}

export interface NativeRun {
  /** Plain files of one format, in reading order, with their sizes. */
  readonly files: ReadonlyArray<{ readonly path: string; readonly size: number }>;
  /** Byte ranges: (file index, start, end) triples at line starts, in reading order. */
  readonly segments: readonly number[];
  /** Index of each thread's first segment, then the number of segments. */
  readonly parts: readonly number[];
  readonly ipv6Prefix: number;
  readonly maxLineBytes?: number;
}

/**
 * Reads files with the native reader, each thread a stretch of them, into one packed table (merged in
 * order, as ClientTable.merge would) and the stats of each file (its segments added up in order).
 */
export async function readNative(native: NativeModule, run: NativeRun, format: ClfFormat, onBytes?: (n: number) => void): Promise<{ files: ParseStats[]; parts: RangeResult['parts'] }> {
  // Every spelling other than a plain dotted quad is judged here, by the same code as the JavaScript reader.
  const resolve = (raw: string): string | null => {
    const canonical = canonicalAddress(raw);
    return canonical === null ? null : clientKey(canonical, run.ipv6Prefix);
  };
  const opts = { leadingFields: format.leadingFields, requiresAgent: format.requiresAgent, maxLineBytes: run.maxLineBytes ?? 1 << 20, maxMalformedSamples: MAX_MALFORMED_SAMPLES };
  const paths = run.files.map((f) => f.path);
  const r = await native.readRanges(paths, run.segments, run.parts, opts, resolve, onBytes);
  const files = paths.map((path) => {
    const s = emptyStats();
    s.inputs.push({ name: path, format: format.name, lines: 0, parsed: 0, malformed: 0 });
    return s;
  });
  // Segment line numbers start at their segment: a file's later segments follow its earlier ones' lines.
  const linesBefore = paths.map(() => 0);
  r.segments.forEach((g, i) => {
    const f = run.segments[i * 3]!;
    const s: ParseStats = {
      ...emptyStats(),
      linesRead: g.linesRead,
      parsed: g.parsed,
      malformed: g.malformed,
      blank: g.blank,
      tooLong: g.tooLong,
      bytesRead: g.bytesRead,
      firstTime: Number.isNaN(g.firstTime) ? null : g.firstTime,
      lastTime: Number.isNaN(g.lastTime) ? null : g.lastTime,
      tzOffset: Number.isNaN(g.tzOffset) ? null : g.tzOffset,
      malformedSamples: g.malformedSamples.map((m) => ({ input: paths[f]!, line: m.line, text: m.bytes.toString('utf8') })),
      inputs: [{ name: paths[f]!, format: format.name, lines: g.linesRead, parsed: g.parsed, malformed: g.malformed, ...(g.error ? { error: g.error } : {}) }],
    };
    addStats(files[f]!, s, linesBefore[f]!, files[f]!.inputs[0]!, MAX_MALFORMED_SAMPLES);
    linesBefore[f]! += g.linesRead + g.blank;
  });
  return { files, parts: nativeParts(r) };
}

const MAX_MALFORMED_SAMPLES = 10;

/**
 * Cuts files (in reading order) into segments for `threads` threads: the bytes of all of them split into
 * equal stretches, each cut moved to the next line start. (splitPoints is the same for one file.)
 */
export function planSegments(files: ReadonlyArray<{ readonly path: string; readonly size: number }>, threads: number, lineStartAfter: (path: string, at: number, size: number) => number): { segments: number[]; parts: number[] } {
  const total = files.reduce((n, f) => n + f.size, 0);
  const cuts: Array<[number, number]> = []; // (file, offset), ascending
  let f = 0;
  let before = 0; // bytes of the files before file f
  for (let k = 1; k < threads; k++) {
    const target = Math.floor((total * k) / threads);
    while (f < files.length && before + files[f]!.size <= target) before += files[f++]!.size;
    if (f >= files.length) break;
    const at = target - before;
    let cut: [number, number] = at === 0 ? [f, 0] : [f, lineStartAfter(files[f]!.path, at, files[f]!.size)];
    if (cut[1] >= files[f]!.size) cut = [f + 1, 0];
    if (cut[0] >= files.length) break;
    const last = cuts[cuts.length - 1];
    if (!last || cut[0] > last[0] || (cut[0] === last[0] && cut[1] > last[1])) cuts.push(cut);
  }
  const segments: number[] = [];
  const parts = [0];
  files.forEach((file, i) => {
    const starts = [0, ...cuts.filter(([cf, at]) => cf === i && at > 0).map(([, at]) => at)];
    starts.forEach((start, j) => {
      const segment = segments.length / 3;
      if (segment > 0 && cuts.some(([cf, at]) => cf === i && at === start)) parts.push(segment);
      segments.push(i, start, starts[j + 1] ?? file.size);
    });
  });
  parts.push(segments.length / 3);
  return { segments, parts };
}

/** A table packed by the native reader, as ClientTable.fromParts takes it. */
export function nativeParts(t: NativeTable): RangeResult['parts'] {
  const overall = new Timeline(t.overallCounts.length);
  overall.start = t.overallStart;
  overall.width = t.overallWidth;
  overall.counts = t.overallCounts;
  return {
    clients: {
      keys: t.clientCount ? t.keys.split('\n') : [],
      fields: t.fields,
      nums: t.nums,
      words: t.words,
      samples: { files: t.sampleFileNames, fileOf: t.sampleFiles, offsets: t.sampleOffsets, lengths: t.sampleLengths, hashes: t.sampleHashes, counts: t.sampleCounts },
    },
    overall,
    badAddressLines: t.badAddressLines,
  };
}

/** The buffers of a packed table, moved to the other thread rather than copied. */
export function transferList(parts: RangeResult['parts']): ArrayBuffer[] {
  const c = parts.clients;
  return [c.nums.buffer, c.words.buffer] as ArrayBuffer[];
}

parentPort?.on('message', async (job: RangeJob) => {
  try {
    let reported = 0;
    const { parts, stats } = await readRange(job, (bytes) => {
      if (bytes - reported >= 32 << 20) {
        parentPort!.postMessage({ type: 'progress', bytes: bytes - reported });
        reported = bytes;
      }
    });
    parentPort!.postMessage({ type: 'done', bytes: stats.bytesRead - reported, stats, parts }, transferList(parts));
  } catch (err) {
    parentPort!.postMessage({ type: 'error', message: (err as Error).message });
  }
});
