/**
 * The line parser. Works on the bytes of a line inside a larger buffer, so that no string is made for a field
 * that is not kept: the client address and the path (for classification) become strings, everything else is
 * read as numbers or hashed in place. One parser serves the whole Apache/nginx family (see formats.ts).
 */
import type { ClfFormat, JsonField, LogFormat } from './formats.js';
import { DEFAULT_JSON_FIELDS, JSON_FIELDS } from './formats.js';

export const enum Method {
  Get = 0,
  Post = 1,
  Head = 2,
  Other = 3,
  /** The request field held no method and target (a bare "-", binary junk, a truncated request). */
  Invalid = 4,
}

/** One parsed line. A single instance is reused for every line: copy what you keep. */
export interface LogRecord {
  /** The client field: bytes [ipStart, ipEnd) of ipBuf, or ipText when ipBuf is null (see recordIp). */
  ipBuf: Uint8Array | null;
  ipStart: number;
  ipEnd: number;
  ipText: string;
  /** FNV-1a hash of the client field. */
  ipHash: number;
  /** Milliseconds since the epoch (UTC). */
  time: number;
  /** The zone offset the server wrote, in minutes east of UTC. */
  tzOffset: number;
  method: Method;
  /** The path without its query: bytes [pathStart, pathEnd) of pathBuf, or pathText when pathBuf is null. */
  pathBuf: Uint8Array | null;
  pathStart: number;
  pathEnd: number;
  pathText: string;
  /** FNV-1a hash of the path without its query. */
  pathHash: number;
  /** FNV-1a hash of the path with its query, or 0 when there is no query string. */
  queryHash: number;
  status: number;
  bytes: number;
  /** FNV-1a hash of the user agent, 0 when absent or "-". */
  agentHash: number;
}

/** The client field of a record as a string. */
export function recordIp(rec: LogRecord): string {
  return rec.ipBuf ? (Buffer.prototype.latin1Slice.call(rec.ipBuf, rec.ipStart, rec.ipEnd) as string) : rec.ipText;
}

/** The request path of a record as a string (made only when needed: most lines never need it). */
export function recordPath(rec: LogRecord): string {
  return rec.pathBuf ? (Buffer.prototype.latin1Slice.call(rec.pathBuf, rec.pathStart, rec.pathEnd) as string) : rec.pathText;
}

function setPathText(rec: LogRecord, text: string): void {
  rec.pathBuf = null;
  rec.pathText = text;
}

export function newRecord(): LogRecord {
  return {
    ipBuf: null,
    ipStart: 0,
    ipEnd: 0,
    ipText: '',
    ipHash: 0,
    time: 0,
    tzOffset: 0,
    method: Method.Invalid,
    pathBuf: null,
    pathStart: 0,
    pathEnd: 0,
    pathText: '',
    pathHash: 0,
    queryHash: 0,
    status: 0,
    bytes: 0,
    agentHash: 0,
  };
}

const SPACE = 0x20;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const QMARK = 0x3f;
const DASH = 0x2d;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * A 32-bit hash of bytes, four at a time (FNV-1a's multiply on 32-bit words, then a final mix); never 0,
 * so that 0 can mean "absent". Fields such as user agents are long, and this is on every line.
 */
export function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let h = FNV_OFFSET ^ (end - start);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    h = Math.imul(h ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24)), FNV_PRIME);
    h ^= h >>> 15;
  }
  for (; i < end; i++) h = Math.imul(h ^ buf[i]!, FNV_PRIME);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0 || 1;
}

/** The same hash over a string's UTF-16 units (equal to hashBytes for latin1 text). */
export function hashString(s: string): number {
  let h = FNV_OFFSET ^ s.length;
  let i = 0;
  const c = (k: number) => s.charCodeAt(k) & 0xff;
  for (; i + 4 <= s.length; i += 4) {
    h = Math.imul(h ^ (c(i) | (c(i + 1) << 8) | (c(i + 2) << 16) | (c(i + 3) << 24)), FNV_PRIME);
    h ^= h >>> 15;
  }
  for (; i < s.length; i++) h = Math.imul(h ^ c(i), FNV_PRIME);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0 || 1;
}

/** Index of the closing quote of a quoted field whose content starts at `pos`, honouring backslash escapes. */
function closingQuote(buf: Uint8Array, pos: number, end: number): number {
  for (;;) {
    const q = buf.indexOf(QUOTE, pos);
    if (q < 0 || q >= end) return -1;
    // A quote preceded by an odd number of backslashes is escaped.
    let b = 0;
    while (q - b - 1 >= pos && buf[q - b - 1] === BACKSLASH) b++;
    if ((b & 1) === 0) return q;
    pos = q + 1;
  }
}

const MONTHS: Record<string, number> = {
  Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11,
};
const MONTH_BY_CODE = new Map<number, number>(
  Object.entries(MONTHS).map(([name, m]) => [(name.charCodeAt(0) << 16) | (name.charCodeAt(1) << 8) | name.charCodeAt(2), m]),
);

function digits(buf: Uint8Array, start: number, count: number): number {
  let v = 0;
  for (let i = start; i < start + count; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

// The day part of the last timestamp, so a busy log converts each calendar day once.
let cachedDayKey = -1;
let cachedDayMs = 0;

/**
 * Parses "10/Oct/2000:13:55:36 -0700" at `pos` into rec.time and rec.tzOffset. Returns false when it is not
 * such a timestamp.
 */
function parseClfTime(buf: Uint8Array, pos: number, end: number, rec: LogRecord): boolean {
  if (end - pos < 26) return false;
  const day = digits(buf, pos, 2);
  const monthCode = (buf[pos + 3]! << 16) | (buf[pos + 4]! << 8) | buf[pos + 5]!;
  const year = digits(buf, pos + 7, 4);
  const hh = digits(buf, pos + 12, 2);
  const mm = digits(buf, pos + 15, 2);
  const ss = digits(buf, pos + 18, 2);
  const sign = buf[pos + 21];
  const tzh = digits(buf, pos + 22, 2);
  const tzm = digits(buf, pos + 24, 2);
  const month = MONTH_BY_CODE.get(monthCode);
  if (
    month === undefined || day < 1 || day > 31 || year < 1970 || hh < 0 || hh > 23 || mm < 0 || mm > 59 ||
    ss < 0 || ss > 60 || (sign !== 0x2b && sign !== DASH) || tzh < 0 || tzm < 0 ||
    buf[pos + 2] !== 0x2f || buf[pos + 6] !== 0x2f || buf[pos + 11] !== 0x3a || buf[pos + 20] !== SPACE
  ) {
    return false;
  }
  const dayKey = year * 1000 + month * 40 + day;
  if (dayKey !== cachedDayKey) {
    cachedDayKey = dayKey;
    cachedDayMs = Date.UTC(year, month, day);
  }
  const offset = (sign === DASH ? -1 : 1) * (tzh * 60 + tzm);
  rec.tzOffset = offset;
  rec.time = cachedDayMs + ((hh * 60 + mm) * 60 + ss) * 1000 - offset * 60000;
  return true;
}

function methodOf(buf: Uint8Array, start: number, len: number): Method {
  const c0 = buf[start];
  if (len === 3 && c0 === 0x47 && buf[start + 1] === 0x45 && buf[start + 2] === 0x54) return Method.Get;
  if (len === 4 && c0 === 0x50 && buf[start + 1] === 0x4f && buf[start + 2] === 0x53 && buf[start + 3] === 0x54) {
    return Method.Post;
  }
  if (len === 4 && c0 === 0x48 && buf[start + 1] === 0x45 && buf[start + 2] === 0x41 && buf[start + 3] === 0x44) {
    return Method.Head;
  }
  // Other methods are upper-case tokens (PUT, PROPFIND, OPTIONS, ...); anything else is a junk request.
  for (let i = start; i < start + len; i++) {
    const c = buf[i]!;
    if (c < 0x41 || c > 0x5a) return Method.Invalid;
  }
  return len > 0 && len <= 20 ? Method.Other : Method.Invalid;
}

/** Fills rec.method/path/pathHash/queryHash from the request field's bytes [start, end). */
function parseRequest(buf: Uint8Array, start: number, end: number, rec: LogRecord): void {
  const sp1 = buf.indexOf(SPACE, start);
  if (sp1 < 0 || sp1 >= end) {
    rec.method = Method.Invalid;
    setPathText(rec, '');
    rec.pathHash = hashBytes(buf, start, end);
    rec.queryHash = 0;
    return;
  }
  const method = methodOf(buf, start, sp1 - start);
  let targetEnd = buf.indexOf(SPACE, sp1 + 1);
  // A request without a protocol ("GET /") ends at the closing quote.
  if (targetEnd < 0 || targetEnd > end) targetEnd = end;
  const target = sp1 + 1;
  let q = buf.indexOf(QMARK, target);
  if (q < 0 || q > targetEnd) q = targetEnd;
  rec.method = method;
  rec.pathBuf = buf;
  rec.pathStart = target;
  rec.pathEnd = q;
  rec.pathHash = hashBytes(buf, target, q);
  rec.queryHash = q < targetEnd ? hashBytes(buf, target, targetEnd) : 0;
}

/** Reads a number or "-" (as 0). Returns the index after it, or -1. */
function parseNumberField(buf: Uint8Array, pos: number, end: number, out: { v: number }): number {
  if (buf[pos] === DASH) {
    out.v = 0;
    return pos + 1;
  }
  let v = 0;
  let i = pos;
  for (; i < end; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
  }
  if (i === pos) return -1;
  out.v = v;
  return i;
}

const num = { v: 0 };

/** Parses one Apache/nginx-family line. Returns false when the line is malformed. */
export function parseClfLine(buf: Uint8Array, start: number, end: number, fmt: ClfFormat, rec: LogRecord): boolean {
  let pos = start;
  for (let f = 0; f < fmt.leadingFields; f++) {
    const sp = buf.indexOf(SPACE, pos);
    if (sp < 0 || sp >= end) return false;
    pos = sp + 1;
  }
  const ipEnd = buf.indexOf(SPACE, pos);
  if (ipEnd <= pos || ipEnd >= end || ipEnd - pos > 45) return false;
  const lb = buf.indexOf(LBRACKET, ipEnd);
  if (lb < 0 || lb >= end || buf[lb - 1] !== SPACE) return false;
  if (!parseClfTime(buf, lb + 1, end, rec)) return false;
  const rb = lb + 27;
  if (buf[rb] !== RBRACKET || buf[rb + 1] !== SPACE || buf[rb + 2] !== QUOTE) return false;
  const reqStart = rb + 3;
  const reqEnd = closingQuote(buf, reqStart, end);
  if (reqEnd < 0 || buf[reqEnd + 1] !== SPACE) return false;
  let p = parseNumberField(buf, reqEnd + 2, end, num);
  if (p < 0 || num.v > 999) return false;
  rec.status = num.v;
  if (buf[p] !== SPACE) return false;
  p = parseNumberField(buf, p + 1, end, num);
  if (p < 0) return false;
  rec.bytes = num.v;
  rec.agentHash = 0;
  if (p < end && buf[p] !== SPACE) return false;
  if (fmt.requiresAgent) {
    if (buf[p + 1] !== QUOTE) return false;
    const refEnd = closingQuote(buf, p + 2, end);
    if (refEnd < 0 || buf[refEnd + 1] !== SPACE || buf[refEnd + 2] !== QUOTE) return false;
    const uaStart = refEnd + 3;
    const uaEnd = closingQuote(buf, uaStart, end);
    if (uaEnd < 0) return false;
    if (!(uaEnd - uaStart === 1 && buf[uaStart] === DASH) && uaEnd > uaStart) {
      // Agents are long and only counted: their head and tail (where versions and random suffixes sit) suffice.
      rec.agentHash = uaEnd - uaStart <= 64 ? hashBytes(buf, uaStart, uaEnd) : (hashBytes(buf, uaStart, uaStart + 32) ^ Math.imul(hashBytes(buf, uaEnd - 32, uaEnd), 0x9e3779b1) ^ (uaEnd - uaStart)) >>> 0 || 1;
    }
  }
  rec.ipBuf = buf;
  rec.ipStart = pos;
  rec.ipEnd = ipEnd;
  rec.ipHash = hashBytes(buf, pos, ipEnd);
  parseRequest(buf, reqStart, reqEnd, rec);
  return true;
}

export type JsonFieldMap = Readonly<Record<JsonField, readonly string[]>>;

/** Parses "ip=remote_addr,time=ts" into a field map; unknown record fields are an error for the caller. */
export function jsonFieldMap(spec: string | undefined): JsonFieldMap | string {
  const map: Record<JsonField, readonly string[]> = { ...DEFAULT_JSON_FIELDS };
  if (!spec) return map;
  for (const pair of spec.split(',')) {
    const [field, name] = pair.split('=').map((s) => s.trim());
    if (!field || !name || !(JSON_FIELDS as readonly string[]).includes(field)) {
      return `expected field=name pairs with field one of ${JSON_FIELDS.join(', ')}, got "${pair}"`;
    }
    map[field as JsonField] = [name];
  }
  return map;
}

function pick(obj: Record<string, unknown>, names: readonly string[]): unknown {
  for (const n of names) {
    const v = obj[n];
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return undefined;
}

const clfTimeBuf = Buffer.alloc(64);

function parseJsonTime(value: unknown, rec: LogRecord): boolean {
  if (typeof value === 'number' && Number.isFinite(value)) {
    // nginx $msec is seconds with a fraction; anything larger is already milliseconds.
    rec.time = value < 1e11 ? Math.round(value * 1000) : value;
    rec.tzOffset = 0;
    return true;
  }
  if (typeof value !== 'string') return false;
  if (/^\d+(\.\d+)?$/.test(value)) return parseJsonTime(Number(value), rec);
  if (/^\d\d\/[A-Z][a-z]{2}\/\d{4}:/.test(value)) {
    const n = clfTimeBuf.write(value, 'latin1');
    return parseClfTime(clfTimeBuf, 0, n, rec);
  }
  const t = Date.parse(value);
  if (Number.isNaN(t)) return false;
  rec.time = t;
  const zone = /([+-])(\d\d):?(\d\d)$/.exec(value);
  rec.tzOffset = zone ? (zone[1] === '-' ? -1 : 1) * (Number(zone[2]) * 60 + Number(zone[3])) : 0;
  return true;
}

function toInt(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.max(0, Math.trunc(value)) : -1;
  if (typeof value === 'string') {
    if (value === '-' || value === '') return 0;
    return /^\d+$/.test(value) ? Number(value) : -1;
  }
  return value === undefined ? 0 : -1;
}

/** Parses one JSON line. Returns false when it is malformed or lacks the address, time or status. */
export function parseJsonLine(
  buf: Uint8Array,
  start: number,
  end: number,
  fields: JsonFieldMap,
  rec: LogRecord,
): boolean {
  let obj: unknown;
  try {
    obj = JSON.parse(Buffer.prototype.utf8Slice.call(buf, start, end) as string);
  } catch {
    return false;
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return false;
  const o = obj as Record<string, unknown>;
  const ip = pick(o, fields.ip);
  if (typeof ip !== 'string' || !parseJsonTime(pick(o, fields.time), rec)) return false;
  const status = toInt(pick(o, fields.status));
  const bytes = toInt(pick(o, fields.bytes));
  if (status <= 0 || status > 999 || bytes < 0) return false;
  rec.ipBuf = null;
  rec.ipText = ip;
  rec.ipHash = hashString(ip);
  rec.status = status;
  rec.bytes = bytes;
  const agent = pick(o, fields.agent);
  rec.agentHash = typeof agent === 'string' && agent !== '-' ? hashString(agent) : 0;
  const request = pick(o, fields.request);
  let method = pick(o, fields.method);
  let target = pick(o, fields.path);
  if (typeof request === 'string' && (typeof method !== 'string' || typeof target !== 'string')) {
    const parts = request.split(' ');
    method = parts[0];
    target = parts[1];
  }
  if (typeof method !== 'string' || typeof target !== 'string') {
    rec.method = Method.Invalid;
    setPathText(rec, '');
    rec.pathHash = hashString(typeof request === 'string' ? request : '');
    rec.queryHash = 0;
    return true;
  }
  const mbuf = Buffer.from(method, 'latin1');
  rec.method = methodOf(mbuf, 0, mbuf.length);
  const q = target.indexOf('?');
  setPathText(rec, q < 0 ? target : target.slice(0, q));
  rec.pathHash = hashString(rec.pathText);
  rec.queryHash = q < 0 ? 0 : hashString(target);
  return true;
}

export type LineParser = (buf: Uint8Array, start: number, end: number, rec: LogRecord) => boolean;

export function parserFor(format: LogFormat, jsonFields: JsonFieldMap = DEFAULT_JSON_FIELDS): LineParser {
  switch (format.kind) {
    case 'clf':
      return (buf, start, end, rec) => parseClfLine(buf, start, end, format, rec);
    case 'json':
      return (buf, start, end, rec) => parseJsonLine(buf, start, end, jsonFields, rec);
  }
}
