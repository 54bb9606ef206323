/**
 * The .lwtable format: a per-client table (table.ts) written by `logwarden aggregate` on one machine and merged
 * by `detect --tables` on another, exactly as worker threads' tables are merged. Version 1, gzip-compressed:
 *
 *   "LWTABLE\n"             8 bytes, the magic
 *   version                 uint32 little-endian (1)
 *   header length H         uint32 little-endian
 *   header                  H bytes of UTF-8 JSON: kind "logwarden-table", version, generator, the options the
 *                           lines were read with (ipv6Prefix, trustedProxies), the parse statistics, the client
 *                           keys in row order, the sample lines (null for an empty slot), the site's timeline,
 *                           lines whose client was no address, and `arrays`: name, type and length of each array
 *   arrays                  in `arrays` order, little-endian, each starting on a multiple of 8 bytes:
 *                           nums (Float64, COUNTERS per row), distinct sets and requests per minute (Int32
 *                           arenas with per-row offset, capacity, count, last value or peak), sample times
 *                           (Float64), sample hashes (Int32), sample counts (Uint8)
 *   "LWTEND\n\0"            8 bytes: a table cut short is refused even when gzip's own check is not reached
 *
 * Samples travel inside (no log is reopened to show them). Pure: bytes in, bytes out.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { ParseStats } from '../logs/read.js';
import { Timeline } from '../features/timeline.js';
import type { TableParts } from './table.js';

export const LWTABLE_VERSION = 1;
const MAGIC = Buffer.from('LWTABLE\n');
const END = Buffer.from('LWTEND\n\0');

export interface TableMeta {
  readonly generator: string;
  readonly ipv6Prefix: number;
  readonly trustedProxies: readonly string[];
  readonly stats: ParseStats;
}

type ArrayType = 'f64' | 'i32' | 'u8';
const CTORS = { f64: Float64Array, i32: Int32Array, u8: Uint8Array } as const;

/** The arrays of a table, in file order. */
function arraysOf(p: TableParts): Array<[string, ArrayType, Float64Array | Int32Array | Uint8Array]> {
  return [
    ['nums', 'f64', p.nums],
    ['distinct.ints', 'i32', p.distinct.ints],
    ['distinct.off', 'i32', p.distinct.off],
    ['distinct.cap', 'i32', p.distinct.cap],
    ['distinct.n', 'i32', p.distinct.n],
    ['distinct.last', 'i32', p.distinct.last],
    ['minutes.ints', 'i32', p.minutes.ints],
    ['minutes.off', 'i32', p.minutes.off],
    ['minutes.cap', 'i32', p.minutes.cap],
    ['minutes.n', 'i32', p.minutes.n],
    ['minutes.peak', 'i32', p.minutes.peak],
    ['sampleTime', 'f64', p.sampleTime],
    ['sampleHash', 'i32', p.sampleHash],
    ['sampleCount', 'u8', p.sampleCount],
  ];
}

const pad8 = (n: number) => (8 - (n % 8)) % 8;

export function encodeTable(p: TableParts, meta: TableMeta): Buffer {
  const arrays = arraysOf(p);
  const header = Buffer.from(
    JSON.stringify({
      kind: 'logwarden-table',
      version: LWTABLE_VERSION,
      generator: meta.generator,
      options: { ipv6Prefix: meta.ipv6Prefix, trustedProxies: meta.trustedProxies },
      stats: meta.stats,
      keys: p.keys,
      sampleText: Array.from({ length: p.sampleText.length }, (_, i) => p.sampleText[i] ?? null),
      overall: { buckets: p.overall.buckets, start: p.overall.start, width: p.overall.width, counts: [...p.overall.counts] },
      badAddressLines: p.badAddressLines,
      arrays: arrays.map(([name, type, a]) => ({ name, type, length: a.length })),
    }),
  );
  const fixed = Buffer.alloc(8);
  fixed.writeUInt32LE(LWTABLE_VERSION, 0);
  fixed.writeUInt32LE(header.length, 4);
  const chunks: Buffer[] = [MAGIC, fixed, header, Buffer.alloc(pad8(16 + header.length))];
  for (const [, , a] of arrays) {
    const bytes = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    chunks.push(bytes, Buffer.alloc(pad8(bytes.length)));
  }
  chunks.push(END);
  return gzipSync(Buffer.concat(chunks), { level: 1 });
}

export class TableFileError extends Error {}

export function decodeTable(file: Buffer): { parts: TableParts; meta: TableMeta } {
  let raw: Buffer;
  try {
    raw = gunzipSync(file);
  } catch (err) {
    const why = (err as Error).message;
    throw new TableFileError(/unexpected end/i.test(why) ? 'truncated (the file ends early)' : `not a logwarden table (${why})`);
  }
  if (raw.length < 16 || !raw.subarray(0, 8).equals(MAGIC)) throw new TableFileError('not a logwarden table (no LWTABLE header)');
  const version = raw.readUInt32LE(8);
  if (version !== LWTABLE_VERSION)
    throw new TableFileError(`a table of version ${version}; this logwarden reads version ${LWTABLE_VERSION} (aggregate the logs again)`);
  const headerLength = raw.readUInt32LE(12);
  if (16 + headerLength > raw.length) throw new TableFileError('truncated (the header ends early)');
  let h: {
    generator: string;
    options: { ipv6Prefix: number; trustedProxies: string[] };
    stats: ParseStats;
    keys: string[];
    sampleText: Array<string | null>;
    overall: { buckets: number; start: number; width: number; counts: number[] };
    badAddressLines: number;
    arrays: Array<{ name: string; type: ArrayType; length: number }>;
  };
  try {
    h = JSON.parse(raw.toString('utf8', 16, 16 + headerLength));
  } catch (err) {
    throw new TableFileError(`header: not valid JSON (${(err as Error).message})`);
  }
  let at = 16 + headerLength + pad8(16 + headerLength);
  const got = new Map<string, Float64Array | Int32Array | Uint8Array>();
  for (const a of h.arrays) {
    const Ctor = CTORS[a.type];
    if (!Ctor || !Number.isInteger(a.length) || a.length < 0) throw new TableFileError(`header: arrays: ${a.name} has a bad type or length`);
    const bytes = a.length * Ctor.BYTES_PER_ELEMENT;
    if (at + bytes + END.length > raw.length) throw new TableFileError(`truncated (in ${a.name})`);
    const copy = new Ctor(a.length);
    new Uint8Array(copy.buffer).set(raw.subarray(at, at + bytes));
    got.set(a.name, copy);
    at += bytes + pad8(bytes);
  }
  if (!raw.subarray(at, at + END.length).equals(END)) throw new TableFileError('truncated (no end marker)');
  const need = (name: string) => {
    const a = got.get(name);
    if (!a) throw new TableFileError(`header: arrays: ${name} is missing`);
    return a;
  };
  const i32 = (name: string) => need(name) as Int32Array;
  const n = h.keys.length;
  if (need('nums').length % Math.max(1, n) !== 0 || need('sampleCount').length !== n * 2)
    throw new TableFileError('the arrays do not fit the number of clients');
  const overall = new Timeline(h.overall.buckets);
  overall.start = h.overall.start;
  overall.width = h.overall.width;
  overall.counts.set(h.overall.counts);
  const parts: TableParts = {
    keys: h.keys,
    nums: need('nums') as Float64Array,
    distinct: { ints: i32('distinct.ints'), off: i32('distinct.off'), cap: i32('distinct.cap'), n: i32('distinct.n'), last: i32('distinct.last') },
    minutes: { ints: i32('minutes.ints'), off: i32('minutes.off'), cap: i32('minutes.cap'), n: i32('minutes.n'), peak: i32('minutes.peak') },
    sampleTime: need('sampleTime') as Float64Array,
    sampleHash: i32('sampleHash'),
    sampleText: h.sampleText.map((t) => t ?? undefined),
    sampleCount: need('sampleCount') as Uint8Array,
    overall,
    badAddressLines: h.badAddressLines,
  };
  return { parts, meta: { generator: h.generator, ipv6Prefix: h.options.ipv6Prefix, trustedProxies: h.options.trustedProxies, stats: h.stats } };
}
