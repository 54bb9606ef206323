/**
 * The .lwtable format: a per-client table (table.ts) written by `logwarden aggregate` on one machine and merged
 * by `detect --tables` on another, exactly as worker threads' tables are merged. Version 3:
 *
 *   "LWTABLE\n"             8 bytes, the magic
 *   version                 uint32 little-endian (3; version 2, whose exact sets are tables, is read too)
 *   header length H         uint32 little-endian
 *   header                  H bytes of UTF-8 JSON: kind "logwarden-table", version, generator, the options the
 *                           lines were read with (ipv6Prefix, trustedProxies), the parse statistics, `rows` (the
 *                           number of clients), the site's timeline, lines whose client was no address, and
 *                           `arrays`: name, type (f64, i32, u32, u16, u8) and length of each array
 *   arrays                  in `arrays` order, little-endian, each starting on a multiple of 8 bytes:
 *                           keys (UTF-8, one client key a line, in row order), counts (Uint32, the COUNTERS
 *                           before bytes, a row), spans (Float64: bytes, first and last time, smallest agent
 *                           hash, a row),
 *                           distinct sets and requests per minute (Int32 blocks, only those in use, with per-set
 *                           offset, table size, -2 for values packed end to end (what is
 *                           written) or -1 for a sketch, exact count, last value; per-client offset,
 *                           capacity, minutes, peak), samples (per slot, MAX_SAMPLES a row: time, two hashes, place and
 *                           length of its bytes, place = chunk * 2^20 + offset in the chunk; per row: telling and
 *                           other lines kept; per chunk its size in bytes; the chunks of lines, each up to 1 MiB
 *                           before it was deflated (raw deflate), a line never across two, end to end)
 *   "LWTEND\n\0"            8 bytes: a table cut short is refused
 *
 * Samples travel inside (no log is reopened to show them), deflated in chunks that a merge takes as they are.
 * The rest is not compressed (the arrays hold only what is in use, and the reader takes them where they lie,
 * without copying); a table that was gzipped after it was written is read as well. Pure: bytes in, bytes out.
 */
import { gunzipSync } from 'node:zlib';
import type { ParseStats } from '../logs/read.js';
import { Timeline } from '../features/timeline.js';
import { COUNTERS, type TableParts } from './table.js';
import { DistinctSets } from './distinct.js';
import { MinuteColumns } from './minutes.js';
import { MAX_SAMPLES, SampleSlots } from './samples.js';

export const LWTABLE_VERSION = 3;
/** Versions this logwarden reads: version 2 wrote exact distinct sets as tables, which a table still holds. */
const READS = [2, 3];
const MAGIC = Buffer.from('LWTABLE\n');
const END = Buffer.from('LWTEND\n\0');

export interface TableMeta {
  readonly generator: string;
  readonly ipv6Prefix: number;
  readonly trustedProxies: readonly string[];
  readonly stats: ParseStats;
}

type Typed = Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array;
type ArrayType = 'f64' | 'i32' | 'u32' | 'u16' | 'u8';
const CTORS = { f64: Float64Array, i32: Int32Array, u32: Uint32Array, u16: Uint16Array, u8: Uint8Array } as const;

/** The arrays of a table, in file order: name, type, elements a row (0: any length). */
const LAYOUT: ReadonlyArray<readonly [string, ArrayType, number]> = [
  ['keys', 'u8', 0],
  ['counts', 'u32', COUNTERS.indexOf('bytes')],
  ['spans', 'f64', COUNTERS.length - COUNTERS.indexOf('bytes')],
  ['distinct.ints', 'i32', 0],
  ['distinct.off', 'i32', 3],
  ['distinct.cap', 'i32', 3],
  ['distinct.n', 'i32', 3],
  ['distinct.last', 'i32', 3],
  ['minutes.ints', 'i32', 0],
  ['minutes.off', 'i32', 1],
  ['minutes.cap', 'i32', 1],
  ['minutes.n', 'i32', 1],
  ['minutes.peak', 'i32', 1],
  ['samples.time', 'f64', MAX_SAMPLES],
  ['samples.hash', 'i32', MAX_SAMPLES],
  ['samples.hash2', 'i32', MAX_SAMPLES],
  ['samples.place', 'f64', MAX_SAMPLES],
  ['samples.len', 'u16', MAX_SAMPLES],
  ['samples.count', 'u8', 2],
  ['samples.chunks', 'u32', 0],
  ['samples.bytes', 'u8', 0],
];

/** The arrays of a table, in LAYOUT order. */
function arraysOf(p: TableParts, keys: Uint8Array): Typed[] {
  const { distinct: d, minutes: m, samples: s } = p;
  return [
    keys,
    p.counts,
    p.spans,
    d.ints,
    d.off,
    d.cap,
    d.n,
    d.last,
    m.ints,
    m.off,
    m.cap,
    m.n,
    m.peak,
    s.time,
    s.hash,
    s.hash2,
    s.place,
    s.len,
    s.count,
    s.chunks,
    s.bytes,
  ];
}

const pad8 = (n: number) => (8 - (n % 8)) % 8;

export function encodeTable(p: TableParts, meta: TableMeta): Buffer {
  const arrays = arraysOf(p, Buffer.from(p.keys.join('\n')));
  const header = Buffer.from(
    JSON.stringify({
      kind: 'logwarden-table',
      version: LWTABLE_VERSION,
      generator: meta.generator,
      options: { ipv6Prefix: meta.ipv6Prefix, trustedProxies: meta.trustedProxies },
      stats: meta.stats,
      rows: p.keys.length,
      overall: { buckets: p.overall.buckets, start: p.overall.start, width: p.overall.width, counts: [...p.overall.counts] },
      badAddressLines: p.badAddressLines,
      arrays: arrays.map((a, i) => ({ name: LAYOUT[i]![0], type: LAYOUT[i]![1], length: a.length })),
    }),
  );
  const fixed = Buffer.alloc(8);
  fixed.writeUInt32LE(LWTABLE_VERSION, 0);
  fixed.writeUInt32LE(header.length, 4);
  const chunks: Uint8Array[] = [MAGIC, fixed, header, Buffer.alloc(pad8(16 + header.length))];
  for (const a of arrays) {
    chunks.push(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), Buffer.alloc(pad8(a.byteLength)));
  }
  chunks.push(END);
  return Buffer.concat(chunks);
}

export class TableFileError extends Error {}

interface Header {
  generator: string;
  options: { ipv6Prefix: number; trustedProxies: string[] };
  stats: ParseStats;
  rows: number;
  overall: { buckets: number; start: number; width: number; counts: number[] };
  badAddressLines: number;
  arrays: Array<{ name: string; type: ArrayType; length: number }>;
}

/**
 * The number of rows and the length of each array, from the first bytes of a table (to size a merge before
 * reading the tables); null when those bytes do not hold the whole header (or the table is gzipped).
 */
export function peekTable(head: Buffer): { rows: number; lengths: Map<string, number> } | null {
  if (head.length < 16 || !head.subarray(0, 8).equals(MAGIC) || !READS.includes(head.readUInt32LE(8))) return null;
  const headerLength = head.readUInt32LE(12);
  if (16 + headerLength > head.length) return null;
  try {
    const h = JSON.parse(head.toString('utf8', 16, 16 + headerLength)) as Header;
    return { rows: h.rows, lengths: new Map(h.arrays.map((a) => [a.name, a.length])) };
  } catch {
    return null;
  }
}

export function decodeTable(file: Buffer): { parts: TableParts; meta: TableMeta } {
  let raw = file;
  if (file[0] === 0x1f && file[1] === 0x8b) {
    try {
      raw = gunzipSync(file);
    } catch (err) {
      const why = (err as Error).message;
      throw new TableFileError(/unexpected end/i.test(why) ? 'truncated (the file ends early)' : `not a logwarden table (${why})`);
    }
  }
  if (raw.length < 16 || !raw.subarray(0, 8).equals(MAGIC)) throw new TableFileError('not a logwarden table (no LWTABLE header)');
  const version = raw.readUInt32LE(8);
  if (!READS.includes(version))
    throw new TableFileError(`a table of version ${version}; this logwarden reads versions ${READS.join(' and ')} (aggregate the logs again)`);
  const headerLength = raw.readUInt32LE(12);
  if (16 + headerLength > raw.length) throw new TableFileError('truncated (the header ends early)');
  let h: Header;
  try {
    h = JSON.parse(raw.toString('utf8', 16, 16 + headerLength)) as Header;
  } catch (err) {
    throw new TableFileError(`header: not valid JSON (${(err as Error).message})`);
  }
  const rows = h.rows;
  if (!Number.isInteger(rows) || rows < 0) throw new TableFileError('header: rows is not a count');
  // The arrays are read where they lie: they must start on a multiple of 8 bytes in memory, as in the file.
  if (raw.byteOffset % 8 !== 0) raw = Buffer.from(raw);
  let at = 16 + headerLength + pad8(16 + headerLength);
  const got = new Map<string, Typed>();
  for (const a of h.arrays ?? []) {
    const Ctor = CTORS[a.type];
    if (!Ctor || !Number.isInteger(a.length) || a.length < 0) throw new TableFileError(`header: arrays: ${a.name} has a bad type or length`);
    const bytes = a.length * Ctor.BYTES_PER_ELEMENT;
    if (at + bytes + END.length > raw.length) throw new TableFileError(`truncated (in ${a.name})`);
    got.set(a.name, new Ctor(raw.buffer as ArrayBuffer, raw.byteOffset + at, a.length));
    at += bytes + pad8(bytes);
  }
  if (!raw.subarray(at, at + END.length).equals(END)) throw new TableFileError('truncated (no end marker)');
  const need = <T extends Typed>(name: string): T => {
    const a = got.get(name);
    const [, type, perRow] = LAYOUT.find(([n]) => n === name)!;
    if (!a || !(a instanceof CTORS[type])) throw new TableFileError(`header: arrays: ${name} is missing`);
    if (perRow > 0 && a.length !== rows * perRow) throw new TableFileError(`arrays: ${name} holds ${a.length} values for ${rows} rows`);
    return a as T;
  };
  const keyText = need<Uint8Array>('keys');
  const keys = rows === 0 ? [] : Buffer.from(keyText.buffer, keyText.byteOffset, keyText.byteLength).toString('utf8').split('\n');
  if (keys.length !== rows) throw new TableFileError(`arrays: keys holds ${keys.length} keys for ${rows} rows`);
  const overall = new Timeline(h.overall.buckets);
  overall.start = h.overall.start;
  overall.width = h.overall.width;
  overall.counts.set(h.overall.counts);
  const parts: TableParts = {
    keys,
    counts: need('counts'),
    spans: need('spans'),
    distinct: { ints: need('distinct.ints'), off: need('distinct.off'), cap: need('distinct.cap'), n: need('distinct.n'), last: need('distinct.last') },
    minutes: { ints: need('minutes.ints'), off: need('minutes.off'), cap: need('minutes.cap'), n: need('minutes.n'), peak: need('minutes.peak') },
    samples: {
      time: need('samples.time'),
      hash: need('samples.hash'),
      hash2: need('samples.hash2'),
      place: need('samples.place'),
      len: need('samples.len'),
      count: need('samples.count'),
      chunks: need('samples.chunks'),
      bytes: need('samples.bytes'),
    },
    overall,
    badAddressLines: h.badAddressLines,
  };
  checkBlocks(parts);
  return { parts, meta: { generator: h.generator, ipv6Prefix: h.options.ipv6Prefix, trustedProxies: h.options.trustedProxies, stats: h.stats } };
}

/** Every block a row points at lies inside its arena (a damaged table is refused, not read past its end). */
function checkBlocks(p: TableParts): void {
  const bad = DistinctSets.check(p.distinct) ?? MinuteColumns.check(p.minutes) ?? SampleSlots.check(p.samples);
  if (bad) throw new TableFileError(`arrays: ${bad}`);
}
