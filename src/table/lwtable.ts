/**
 * The .lwtable format: a per-client table (table.ts) written by `logwarden aggregate` on one machine and merged
 * by `detect --tables` on another, exactly as worker threads' tables are merged. Version 3:
 *
 *   "LWTABLE\n"             8 bytes, the magic
 *   version                 uint32 little-endian (4)
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
import { NO_IGNORE, type IgnoreRules } from '../logs/ignore.js';
import { constants } from 'node:buffer';
import { createGunzip, gunzipSync } from 'node:zlib';
import { canonicalTarget } from '../core/address.js';
import type { InputStats, MalformedSample, ParseStats } from '../logs/read.js';
import { Timeline } from '../features/timeline.js';
import { COUNTERS, type TableParts } from './table.js';
import { DistinctSets } from './distinct.js';
import { MinuteColumns } from './minutes.js';
import { MAX_SAMPLES, SampleSlots } from './samples.js';

export const LWTABLE_VERSION = 5;
/**
 * Versions this logwarden reads. Version 4 added the evidence counters (exploits, scanners, failed probes and
 * authentications): an older table lacks them, and judging it would miss that evidence, so it is refused.
 */
const READS = [LWTABLE_VERSION];
const MAGIC = Buffer.from('LWTABLE\n');
const END = Buffer.from('LWTEND\n\0');

export interface TableMeta {
  readonly generator: string;
  readonly ipv6Prefix: number;
  readonly trustedProxies: readonly string[];
  /** The operator's ignore rules the lines were read with. */
  readonly ignore: IgnoreRules;
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
      options: { ipv6Prefix: meta.ipv6Prefix, trustedProxies: meta.trustedProxies, ignore: meta.ignore },
      stats: meta.stats,
      rows: p.keys.length,
      overall: { buckets: p.overall.buckets, start: p.overall.start, width: p.overall.width, counts: [...p.overall.counts] },
      badAddressLines: p.badAddressLines,
      ignoredLines: p.ignoredLines,
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
  options: { ipv6Prefix: number; trustedProxies: string[]; ignore: IgnoreRules };
  stats: ParseStats;
  rows: number;
  overall: { buckets: number; start: number; width: number; counts: number[] };
  badAddressLines: number;
  ignoredLines: number;
  arrays: Array<{ name: string; type: ArrayType; length: number }>;
}

/** A header longer than this is refused before it is read (a real one is a few kB, with every input named). */
const MAX_HEADER = 64 << 20;
/** Clients a table holds at most (ten times the largest site measured). */
const MAX_ROWS = 1 << 27;
/** Bytes a table inflates to at most (gzipped tables), whatever its header declares. */
export const MAX_TABLE_BYTES = Math.min(4 * 2 ** 30, constants.MAX_LENGTH);
/** Entries of a header's lists (inputs, malformed samples, duplicates) read at most. */
const MAX_LIST = 1 << 20;

const bad = (field: string, why: string) => new TableFileError(`header: ${field}: ${why}`);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function objectAt(v: unknown, field: string): Record<string, unknown> {
  if (!isObject(v)) throw bad(field, 'missing or not an object');
  return v;
}

function countAt(v: unknown, field: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max)
    throw bad(field, `not a whole number from 0 to ${max}: ${JSON.stringify(v)?.slice(0, 40)}`);
  return v;
}

function textAt(v: unknown, field: string, max = 1 << 16): string {
  if (typeof v !== 'string' || v.length > max) throw bad(field, 'not a string (or a very long one)');
  return v;
}

function listAt(v: unknown, field: string): unknown[] {
  if (!Array.isArray(v) || v.length > MAX_LIST) throw bad(field, 'missing or not a list');
  return v;
}

function timeAt(v: unknown, field: string): number | null {
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(field, 'not a time');
  return v;
}

function checkInput(v: unknown, field: string): InputStats {
  const o = objectAt(v, field);
  const format = o.format === null ? null : textAt(o.format, `${field}.format`, 64);
  const input: InputStats = {
    name: textAt(o.name, `${field}.name`),
    format,
    lines: countAt(o.lines, `${field}.lines`),
    parsed: countAt(o.parsed, `${field}.parsed`),
    malformed: countAt(o.malformed, `${field}.malformed`),
  };
  if (o.error !== undefined) input.error = textAt(o.error, `${field}.error`);
  if (o.skipped !== undefined) input.skipped = textAt(o.skipped, `${field}.skipped`);
  return input;
}

function checkSample(v: unknown, field: string): MalformedSample {
  const o = objectAt(v, field);
  return { input: textAt(o.input, `${field}.input`), line: countAt(o.line, `${field}.line`), text: textAt(o.text, `${field}.text`) };
}

/** The parse statistics of a header, checked field by field (they reach the report and verdicts.json). */
export function checkStats(v: unknown, field = 'stats'): ParseStats {
  const s = objectAt(v, field);
  const tz = s.tzOffset === null ? null : s.tzOffset;
  if (tz !== null && (typeof tz !== 'number' || !Number.isInteger(tz) || Math.abs(tz) > 24 * 60))
    throw bad(`${field}.tzOffset`, 'not a zone offset in minutes');
  return {
    linesRead: countAt(s.linesRead, `${field}.linesRead`),
    parsed: countAt(s.parsed, `${field}.parsed`),
    malformed: countAt(s.malformed, `${field}.malformed`),
    blank: countAt(s.blank, `${field}.blank`),
    tooLong: countAt(s.tooLong, `${field}.tooLong`),
    bytesRead: countAt(s.bytesRead, `${field}.bytesRead`),
    firstTime: timeAt(s.firstTime, `${field}.firstTime`),
    lastTime: timeAt(s.lastTime, `${field}.lastTime`),
    tzOffset: tz,
    malformedSamples: listAt(s.malformedSamples, `${field}.malformedSamples`).map((m, i) => checkSample(m, `${field}.malformedSamples[${i}]`)),
    inputs: listAt(s.inputs, `${field}.inputs`).map((m, i) => checkInput(m, `${field}.inputs[${i}]`)),
    duplicates: listAt(s.duplicates, `${field}.duplicates`).map((m, i) => textAt(m, `${field}.duplicates[${i}]`)),
  };
}

/** A trusted proxy as a table or a model names it: an address or network, not every address. */
/** The ignore rules of a header (absent: none), each a short text; compiled (and so checked) when lines are read. */
function checkIgnore(v: unknown): IgnoreRules {
  if (v === undefined) return NO_IGNORE;
  const o = objectAt(v, 'options.ignore');
  const texts = (x: unknown, field: string) => listAt(x ?? [], field).map((t, i) => textAt(t, `${field}[${i}]`, 500));
  return { paths: texts(o.paths, 'options.ignore.paths'), agents: texts(o.agents, 'options.ignore.agents') };
}

export function checkTrustedProxies(v: unknown, field: string): string[] {
  return listAt(v, field).map((p, i) => {
    const target = typeof p === 'string' ? canonicalTarget(p) : null;
    if (target === null || target !== p) throw bad(`${field}[${i}]`, `not a canonical address or network: ${JSON.stringify(p)?.slice(0, 60)}`);
    if (/\/0$/.test(target)) throw bad(`${field}[${i}]`, `${target} would trust every address`);
    return target;
  });
}

/**
 * The header of a table, checked whole before anything is sized by it: every field of the right type and
 * range, the arrays those of the layout, their lengths those its rows need. `bytes` is the size of the table
 * when known: the arrays must fit in it.
 */
function checkHeader(v: unknown, bytes: number): Header {
  const h = objectAt(v, 'header');
  if (h.kind !== 'logwarden-table') throw bad('kind', `expected "logwarden-table", got ${JSON.stringify(h.kind)?.slice(0, 40)}`);
  const options = objectAt(h.options, 'options');
  const ipv6Prefix = countAt(options.ipv6Prefix, 'options.ipv6Prefix', 128);
  if (ipv6Prefix < 16) throw bad('options.ipv6Prefix', `expected a whole number from 16 to 128, got ${ipv6Prefix}`);
  const rows = countAt(h.rows, 'rows', MAX_ROWS);
  const o = objectAt(h.overall, 'overall');
  const buckets = countAt(o.buckets, 'overall.buckets', 1 << 16);
  const width = countAt(o.width, 'overall.width', 2 ** 30);
  if (buckets === 0) throw bad('overall.buckets', 'none');
  if ((width & (width - 1)) !== 0 || width === 0) throw bad('overall.width', `not a power of two: ${width}`);
  const start = o.start === -1 ? -1 : countAt(o.start, 'overall.start', 2 ** 31);
  if (start > 0 && start % width !== 0) throw bad('overall.start', `not a multiple of the width ${width}`);
  const counts = listAt(o.counts, 'overall.counts');
  if (counts.length !== buckets) throw bad('overall.counts', `${counts.length} counts for ${buckets} buckets`);
  counts.forEach((c, i) => countAt(c, `overall.counts[${i}]`, 0xffffffff));
  const arrays = listAt(h.arrays, 'arrays');
  if (arrays.length !== LAYOUT.length) throw bad('arrays', `${arrays.length} arrays, expected ${LAYOUT.length}`);
  let need = 0;
  const checked = arrays.map((a, i) => {
    const [name, type, perRow] = LAYOUT[i]!;
    const e = objectAt(a, `arrays[${i}]`);
    if (e.name !== name || e.type !== type) throw bad(`arrays[${i}]`, `expected ${name} of ${type}`);
    const length = countAt(e.length, `arrays[${i}].length`, 2 ** 32);
    if (perRow > 0 && length !== rows * perRow) throw bad(`arrays[${i}]`, `${name} holds ${length} values for ${rows} rows`);
    need += length * CTORS[type].BYTES_PER_ELEMENT;
    return { name, type, length };
  });
  if (need > bytes) throw new TableFileError(`truncated (the arrays need ${need} bytes, the table has ${bytes})`);
  return {
    generator: textAt(h.generator, 'generator', 200),
    options: { ipv6Prefix, trustedProxies: checkTrustedProxies(options.trustedProxies, 'options.trustedProxies'), ignore: checkIgnore(options.ignore) },
    stats: checkStats(h.stats),
    rows,
    overall: { buckets, start, width, counts: counts as number[] },
    badAddressLines: countAt(h.badAddressLines, 'badAddressLines'),
    ignoredLines: h.ignoredLines === undefined ? 0 : countAt(h.ignoredLines, 'ignoredLines'),
    arrays: checked,
  };
}

/** The header of a table's first bytes, checked; null when they do not hold the whole header. */
function readHeader(raw: Buffer, bytes: number): Header | null {
  if (raw.length < 16 || !raw.subarray(0, 8).equals(MAGIC)) throw new TableFileError('not a logwarden table (no LWTABLE header)');
  const version = raw.readUInt32LE(8);
  if (!READS.includes(version))
    throw new TableFileError(`a table of version ${version}; this logwarden reads version ${READS.join(' and ')} (aggregate the logs again)`);
  const headerLength = raw.readUInt32LE(12);
  if (headerLength > MAX_HEADER || 16 + headerLength > bytes) throw new TableFileError('truncated (the header ends early)');
  if (16 + headerLength > raw.length) return null;
  let h: unknown;
  try {
    h = JSON.parse(raw.toString('utf8', 16, 16 + headerLength));
  } catch (err) {
    throw new TableFileError(`header: not valid JSON (${(err as Error).message})`);
  }
  return checkHeader(h, bytes - 16 - headerLength);
}

/** Bytes a table of this header takes, end marker included. */
function tableBytes(headerLength: number, h: Header): number {
  let at = 16 + headerLength + pad8(16 + headerLength);
  for (const a of h.arrays) {
    const n = a.length * CTORS[a.type].BYTES_PER_ELEMENT;
    at += n + pad8(n);
  }
  return at + END.length;
}

/**
 * The number of rows and the length of each array, from the first bytes of a table of `size` bytes (to size
 * a merge before reading the tables), the header checked whole; null when those bytes do not hold the whole
 * header (or the table is gzipped). A damaged header is refused here, before it sizes anything.
 */
export function peekTable(head: Buffer, size = head.length): { rows: number; lengths: Map<string, number> } | null {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return null;
  const h = readHeader(head, size);
  if (!h) return null;
  return { rows: h.rows, lengths: new Map(h.arrays.map((a) => [a.name, a.length])) };
}

/**
 * A gzipped table inflated, never past what its header declares (nor MAX_TABLE_BYTES): a small file that
 * inflates to gigabytes of zeros is refused as soon as it goes past its header's sizes.
 */
export function inflateTable(file: Buffer, cap = MAX_TABLE_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const gunzip = createGunzip({ chunkSize: 1 << 20 });
    const chunks: Buffer[] = [];
    let got = 0;
    let limit = cap;
    let checked = false;
    let failed = false;
    const fail = (err: Error) => {
      failed = true;
      gunzip.destroy();
      reject(err);
    };
    gunzip.on('data', (c: Buffer) => {
      if (failed) return;
      chunks.push(c);
      got += c.length;
      if (!checked && got >= 16) {
        // Until the header is whole (at most MAX_HEADER bytes, readHeader sees to it), nothing is sized by it.
        const head = Buffer.concat(chunks, got);
        chunks.length = 0;
        chunks.push(head);
        try {
          const h = readHeader(head, cap);
          if (h) {
            checked = true;
            limit = Math.min(cap, tableBytes(head.readUInt32LE(12), h));
          }
        } catch (err) {
          return fail(err as Error);
        }
      }
      if (got > limit) fail(new TableFileError(`inflates past the ${limit} bytes its header declares`));
    });
    gunzip.on('error', (err) => {
      if (!failed)
        reject(new TableFileError(/unexpected end/i.test(err.message) ? 'truncated (the file ends early)' : `not a logwarden table (${err.message})`));
    });
    gunzip.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks, got));
    });
    gunzip.end(file);
  });
}

/**
 * The header and arrays of a table file (bytes, or a gzipped table: inflated here whole, as tests and
 * benches pass them; `inflateTable` bounds what a file may inflate to). Every header field, array length and
 * block is checked first: a damaged table is refused with what is wrong, never read past an end.
 */
export function decodeTable(file: Buffer): { parts: TableParts; meta: TableMeta } {
  let raw = file;
  if (file[0] === 0x1f && file[1] === 0x8b) {
    try {
      raw = gunzipSync(file, { maxOutputLength: MAX_TABLE_BYTES });
    } catch (err) {
      const why = (err as Error).message;
      throw new TableFileError(/unexpected end/i.test(why) ? 'truncated (the file ends early)' : `not a logwarden table (${why})`);
    }
  }
  const h = readHeader(raw, raw.length);
  if (!h) throw new TableFileError('truncated (the header ends early)');
  const headerLength = raw.readUInt32LE(12);
  const rows = h.rows;
  // The arrays are read where they lie: they must start on a multiple of 8 bytes in memory, as in the file.
  if (raw.byteOffset % 8 !== 0) raw = Buffer.from(raw);
  let at = 16 + headerLength + pad8(16 + headerLength);
  const got = new Map<string, Typed>();
  for (const a of h.arrays) {
    const Ctor = CTORS[a.type];
    const bytes = a.length * Ctor.BYTES_PER_ELEMENT;
    if (at + bytes + END.length > raw.length) throw new TableFileError(`truncated (in ${a.name})`);
    got.set(a.name, new Ctor(raw.buffer as ArrayBuffer, raw.byteOffset + at, a.length));
    at += bytes + pad8(bytes);
  }
  if (!raw.subarray(at, at + END.length).equals(END)) throw new TableFileError('truncated (no end marker)');
  const need = <T extends Typed>(name: string): T => got.get(name) as T;
  const keyText = need<Uint8Array>('keys');
  const keys = rows === 0 ? [] : Buffer.from(keyText.buffer, keyText.byteOffset, keyText.byteLength).toString('latin1').split('\n');
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
    ignoredLines: h.ignoredLines,
  };
  checkKeys(parts.keys, [h.options.ipv6Prefix]);
  checkBlocks(parts);
  return {
    parts,
    meta: { generator: h.generator, ipv6Prefix: h.options.ipv6Prefix, trustedProxies: h.options.trustedProxies, ignore: h.options.ignore, stats: h.stats },
  };
}

const IP4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * Every key a client key as a reader makes them (a canonical address, or an IPv6 network of the table's
 * prefix), and no key twice: a key is what blocklist.txt lists and a firewall is given.
 */
export function checkKeys(keys: readonly string[], ipv6Prefixes: readonly number[]): void {
  const seen = new Set<string>();
  for (let r = 0; r < keys.length; r++) {
    const k = keys[r]!;
    if (typeof k !== 'string') throw new TableFileError(`arrays: keys: row ${r} is not a client address`);
    if (!IP4.test(k)) {
      const slash = k.indexOf('/');
      const bits = slash < 0 ? 128 : Number(k.slice(slash + 1));
      if (!k.includes(':') || !ipv6Prefixes.includes(bits) || canonicalTarget(k) !== k)
        throw new TableFileError(`arrays: keys: row ${r} is not a client address: ${JSON.stringify(k.slice(0, 60))}`);
    }
    if (seen.size === seen.add(k).size) throw new TableFileError(`arrays: keys: ${k} is on two rows`);
  }
}

/**
 * Parts of a table from elsewhere than a table file (a saved watch state), checked as a file's are: every
 * array of its type and length for the rows, keys client addresses (IPv6 ones per one of `ipv6Prefixes`),
 * every block inside its arena.
 */
export function checkParts(v: unknown, ipv6Prefixes: readonly number[]): asserts v is TableParts {
  if (!isObject(v)) throw new TableFileError('not a table');
  const p = v as unknown as TableParts;
  if (!Array.isArray(p.keys) || p.keys.length > MAX_ROWS) throw new TableFileError('keys: not a list');
  const rows = p.keys.length;
  for (const part of ['distinct', 'minutes', 'samples'] as const) if (!isObject(p[part])) throw new TableFileError(`${part}: missing`);
  const arrays = arraysOf(p, new Uint8Array(0));
  LAYOUT.forEach(([name, type, perRow], i) => {
    const a = arrays[i];
    if (i > 0 && (!(a instanceof CTORS[type]) || (perRow > 0 && a.length !== rows * perRow)))
      throw new TableFileError(`arrays: ${name} is missing or holds the wrong number of values for ${rows} rows`);
  });
  const o = p.overall as unknown as Record<string, unknown> | undefined;
  if (!isObject(o) || !(o.counts instanceof Uint32Array) || o.counts.length !== o.buckets) throw new TableFileError('overall: not a timeline');
  const width = countAt(o.width, 'overall.width', 2 ** 30);
  if (width === 0 || (width & (width - 1)) !== 0) throw new TableFileError('overall.width: not a power of two');
  if (o.start !== -1) countAt(o.start, 'overall.start', 2 ** 31);
  countAt(p.badAddressLines, 'badAddressLines');
  checkKeys(p.keys, ipv6Prefixes);
  checkBlocks(p);
}

/** Every block a row points at lies inside its arena (a damaged table is refused, not read past its end). */
function checkBlocks(p: TableParts): void {
  const bad = DistinctSets.check(p.distinct) ?? MinuteColumns.check(p.minutes) ?? SampleSlots.check(p.samples) ?? checkRows(p);
  if (bad) throw new TableFileError(`arrays: ${bad}`);
}

const NCOUNT = COUNTERS.indexOf('bytes');
const NSPAN = COUNTERS.length - NCOUNT;

/**
 * Each row's counts and spans as a reader writes them: no count above the row's requests, a byte total, times in
 * order and in range, an agent hash or none, a crawler index or none (a damaged value would reach detection as
 * NaN or an index out of its list).
 */
function checkRows(p: TableParts): string | null {
  const rows = p.keys.length;
  for (let r = 0; r < rows; r++) {
    const c = r * NCOUNT;
    const requests = p.counts[c]!;
    for (let k = 1; k < NCOUNT; k++) if (p.counts[c + k]! > requests) return `row ${r}: ${COUNTERS[k]} ${p.counts[c + k]} above its ${requests} requests`;
    const s = r * NSPAN;
    const [bytes, first, last, agent, crawler, probes] = [p.spans[s]!, p.spans[s + 1]!, p.spans[s + 2]!, p.spans[s + 3]!, p.spans[s + 4]!, p.spans[s + 5]!];
    if (!(bytes >= 0 && Number.isFinite(bytes))) return `row ${r}: a byte total of ${bytes}`;
    if (requests > 0 && !(Number.isFinite(first) && Number.isFinite(last) && first <= last && first >= MIN_TIME && last < MAX_TIME))
      return `row ${r}: times ${first} .. ${last}`;
    if (!(agent === Infinity || (Number.isInteger(agent) && agent >= 0 && agent <= 0xffffffff))) return `row ${r}: an agent of ${agent}`;
    if (!(crawler === Infinity || (Number.isInteger(crawler) && crawler >= 0 && crawler < 16))) return `row ${r}: a crawler of ${crawler}`;
    if (!(Number.isInteger(probes) && probes >= 0 && probes <= 0xffffffff)) return `row ${r}: a probe mask of ${probes}`;
  }
  return null;
}
/** Times a reader accepts (logs/parse.ts: years 1970-2100). */
const MIN_TIME = 0;
const MAX_TIME = Date.UTC(2101, 0, 1);
