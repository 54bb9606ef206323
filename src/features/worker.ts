/**
 * A worker thread that reads one byte range of a log file into a client table and sends it back (see
 * features/build.ts).
 */
import { createReadStream } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { findFormat } from '../logs/formats.js';
import type { JsonFieldMap } from '../logs/parse.js';
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
}

/** Reads one range of a file into a client table. */
export async function readRange(job: RangeJob, onBytes?: (n: number) => void) {
  const table = new ClientTable({ ipv6Prefix: job.ipv6Prefix });
  const stats = await readLogs(
    [{ name: job.path, size: job.end - job.start, path: job.path, start: job.start, end: job.end, open: () => createReadStream(job.path, { start: job.start, end: job.end - 1, highWaterMark: 1 << 20 }) }],
    { format: findFormat(job.format), jsonFields: job.jsonFields, maxLineBytes: job.maxLineBytes, onProgress: onBytes },
    (rec, buf, s, e) => table.add(rec, buf, s, e),
  );
  return { table, stats };
}

parentPort?.on('message', async (job: RangeJob) => {
  try {
    let reported = 0;
    const { table, stats } = await readRange(job, (bytes) => {
      if (bytes - reported >= 32 << 20) {
        parentPort!.postMessage({ type: 'progress', bytes: bytes - reported });
        reported = bytes;
      }
    });
    const parts = table.parts();
    // The packed numbers move to the other thread without a copy.
    parentPort!.postMessage({ type: 'done', bytes: stats.bytesRead - reported, stats, parts }, [parts.clients.nums.buffer as ArrayBuffer, parts.clients.words.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort!.postMessage({ type: 'error', message: (err as Error).message });
  }
});
