/**
 * A worker thread that reads a log file (or one byte range of it) into a client table and sends it back:
 * either every client of a range, or (Apache/nginx formats) the clients of its partition across the whole
 * file. See features/build.ts.
 */
import { createReadStream } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { findFormat } from '../logs/formats.js';
import { hashBytes, type JsonFieldMap } from '../logs/parse.js';
import { readLogs } from '../logs/read.js';
import { ClientTable } from './aggregate.js';

export interface RangeJob {
  readonly path: string;
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  readonly format: string;
  readonly jsonFields?: JsonFieldMap;
  readonly ipv6Prefix: number;
  readonly maxLineBytes?: number;
  /** Take only the clients whose address hashes to `index` of `count` (Apache/nginx formats). */
  readonly partition?: { readonly index: number; readonly count: number; readonly leadingFields: number };
}

/** Whether a line's client belongs to this partition; lines without a client field go to the first. */
export function partitionOwner(p: NonNullable<RangeJob['partition']>): (buf: Buffer, start: number, end: number) => boolean {
  return (buf, start, end) => {
    let s = start;
    for (let f = 0; f < p.leadingFields; f++) {
      const sp = buf.indexOf(0x20, s);
      if (sp < 0 || sp >= end) return p.index === 0;
      s = sp + 1;
    }
    let e = buf.indexOf(0x20, s);
    if (e < 0 || e > end) e = end;
    if (e === s) return p.index === 0;
    return hashBytes(buf, s, e) % p.count === p.index;
  };
}

parentPort?.on('message', async (job: RangeJob) => {
  try {
    const table = new ClientTable({ ipv6Prefix: job.ipv6Prefix });
    let reported = 0;
    const stats = await readLogs(
      [{ name: job.path, size: job.end - job.start, open: () => createReadStream(job.path, { start: job.start, end: job.end - 1, highWaterMark: 1 << 20 }) }],
      {
        format: findFormat(job.format),
        jsonFields: job.jsonFields,
        maxLineBytes: job.maxLineBytes,
        owns: job.partition ? partitionOwner(job.partition) : undefined,
        onProgress: (bytes) => {
          if (bytes - reported >= 32 << 20) {
            parentPort!.postMessage({ type: 'progress', bytes: bytes - reported });
            reported = bytes;
          }
        },
      },
      (rec, buf, s, e) => table.add(rec, buf, s, e),
    );
    parentPort!.postMessage({ type: 'done', bytes: stats.bytesRead - reported, stats, parts: table.parts() });
  } catch (err) {
    parentPort!.postMessage({ type: 'error', message: (err as Error).message });
  }
});
