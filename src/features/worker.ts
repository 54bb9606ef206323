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
import { emptyStats, readLogs, type ParseStats } from '../logs/read.js';
import { nativeReader, type NativeAccumulator, type NativeModule, type NativeTable } from '../native/index.js';
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
    const r = await readRangesNative(native, { ...job, points: [job.start, job.end] }, format as ClfFormat, onBytes);
    return { stats: r.stats, parts: r.parts! };
  }
  const table = new ClientTable({ ipv6Prefix: job.ipv6Prefix });
  const stats = await readLogs(
    [{ name: job.path, size: job.end - job.start, path: job.path, start: job.start, end: job.end, open: () => createReadStream(job.path, { start: job.start, end: job.end - 1, highWaterMark: 1 << 20 }) }],
    { format, jsonFields: job.jsonFields, maxLineBytes: job.maxLineBytes, onProgress: onBytes },
    (rec, buf, s, e) => table.add(rec, buf, s, e),
  );
  return { parts: table.parts(), stats };
}

export interface RangesJob {
  readonly path: string;
  /** Range boundaries: [points[i], points[i + 1]) for each i, at line starts. */
  readonly points: readonly number[];
  readonly ipv6Prefix: number;
  readonly maxLineBytes?: number;
}

/**
 * Reads ranges of a file with the native reader, one thread per range, into one packed table (merged in
 * order, as ClientTable.merge would) and the stats of the whole; or, given `into`, merges the table into
 * that native table (see nativeParts) and returns the stats alone.
 */
export async function readRangesNative(
  native: NativeModule,
  job: RangesJob,
  format: ClfFormat,
  onBytes?: (n: number) => void,
  into?: NativeAccumulator,
): Promise<{ stats: ParseStats; parts: RangeResult['parts'] | null }> {
  // Every spelling other than a plain dotted quad is judged here, by the same code as the JavaScript reader.
  const resolve = (raw: string): string | null => {
    const canonical = canonicalAddress(raw);
    return canonical === null ? null : clientKey(canonical, job.ipv6Prefix);
  };
  const opts = { leadingFields: format.leadingFields, requiresAgent: format.requiresAgent, maxLineBytes: job.maxLineBytes ?? 1 << 20, maxMalformedSamples: 10 };
  const r = into ? await native.readRanges(job.path, job.points, opts, resolve, onBytes, into) : await native.readRanges(job.path, job.points, opts, resolve, onBytes);
  const stats = emptyStats();
  stats.linesRead = r.linesRead;
  stats.parsed = r.parsed;
  stats.malformed = r.malformed;
  stats.blank = r.blank;
  stats.tooLong = r.tooLong;
  stats.bytesRead = r.bytesRead;
  stats.firstTime = Number.isNaN(r.firstTime) ? null : r.firstTime;
  stats.lastTime = Number.isNaN(r.lastTime) ? null : r.lastTime;
  stats.tzOffset = Number.isNaN(r.tzOffset) ? null : r.tzOffset;
  stats.malformedSamples = r.malformedSamples.map((m) => ({ input: job.path, line: m.line, text: m.bytes.toString('utf8') }));
  stats.inputs.push({ name: job.path, format: format.name, lines: r.linesRead, parsed: r.parsed, malformed: r.malformed, ...(r.error ? { error: r.error } : {}) });
  return { stats, parts: into ? null : nativeParts(r as unknown as NativeTable, job.path) };
}

/** A table packed by the native reader, as ClientTable.fromParts takes it; `file` names the one file read, if it was one. */
export function nativeParts(t: NativeTable, file?: string): RangeResult['parts'] {
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
      samples: {
        files: t.sampleFileNames.length ? t.sampleFileNames : [file ?? ''],
        fileOf: t.sampleFiles,
        offsets: t.sampleOffsets,
        lengths: t.sampleLengths,
        hashes: t.sampleHashes,
        counts: t.sampleCounts,
      },
    },
    overall,
    badAddressLines: t.badAddressLines,
  };
}

/** The buffers of a packed table, moved to the other thread rather than copied. */
export function transferList(parts: RangeResult['parts']): ArrayBuffer[] {
  const c = parts.clients;
  const list = [c.nums.buffer, c.words.buffer] as ArrayBuffer[];
  if (!Array.isArray(c.samples)) for (const a of [c.samples.fileOf, c.samples.offsets, c.samples.lengths, c.samples.hashes, c.samples.counts]) list.push(a.buffer as ArrayBuffer);
  return list;
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
