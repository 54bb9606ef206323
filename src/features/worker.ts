/**
 * A worker thread that reads one byte range of a log file into a client table and sends it back.
 * See features/build.ts.
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

parentPort!.on('message', async (job: RangeJob) => {
  try {
    const table = new ClientTable({ ipv6Prefix: job.ipv6Prefix });
    let reported = 0;
    const stats = await readLogs(
      [{ name: job.path, size: job.end - job.start, open: () => createReadStream(job.path, { start: job.start, end: job.end - 1, highWaterMark: 1 << 20 }) }],
      {
        format: findFormat(job.format),
        jsonFields: job.jsonFields,
        maxLineBytes: job.maxLineBytes,
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
