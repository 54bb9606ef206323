/** Reading one byte range of a log file into a packed client table: in a worker thread (see features/build.ts), or in this one. */
import { createReadStream } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { findFormat } from '../logs/formats.js';
import type { JsonFieldMap } from '../logs/parse.js';
import { readLogs, type ParseStats } from '../logs/read.js';
import { AddressSet } from '../core/address.js';
import { compileIgnore, type IgnoreRules } from '../logs/ignore.js';
import { ClientTable, type TableParts } from '../table/table.js';

export interface RangeJob {
  readonly path: string;
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  readonly format: string;
  readonly jsonFields?: JsonFieldMap;
  readonly ipv6Prefix: number;
  readonly trustedProxies: readonly string[];
  readonly ignore: IgnoreRules;
  readonly maxLineBytes?: number;
}

export interface RangeResult {
  stats: ParseStats;
  parts: TableParts;
}

/** Reads one range of a file into a packed client table (ClientTable.fromParts unpacks it). */
export async function readRange(job: RangeJob, onBytes?: (n: number) => void): Promise<RangeResult> {
  const format = findFormat(job.format);
  const trustedProxies = new AddressSet();
  for (const p of job.trustedProxies) trustedProxies.add(p, '--trusted-proxy');
  const table = ClientTable.forReading({ ipv6Prefix: job.ipv6Prefix, trustedProxies, ignore: compileIgnore(job.ignore) });
  const stats = await readLogs(
    [
      {
        name: job.path,
        size: job.end - job.start,
        path: job.path,
        start: job.start,
        end: job.end,
        open: () => createReadStream(job.path, { start: job.start, end: job.end - 1, highWaterMark: 1 << 20 }),
      },
    ],
    { format, jsonFields: job.jsonFields, maxLineBytes: job.maxLineBytes, onProgress: onBytes },
    (rec, buf, s, e) => table.add(rec, buf, s, e),
  );
  return { parts: table.parts(), stats };
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
    parentPort!.postMessage({ type: 'done', bytes: stats.bytesRead - reported, stats, parts }, ClientTable.transferList(parts));
  } catch (err) {
    parentPort!.postMessage({ type: 'error', message: (err as Error).message });
  }
});
