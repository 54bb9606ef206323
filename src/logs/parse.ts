/**
 * The line parser. Works on the bytes of a line inside a larger buffer, so that no string is made for a field
 * that is not kept: the client address and the path (for classification) become strings, everything else is
 * read as numbers or hashed in place. One parser serves the whole Apache/nginx family (see formats.ts).
 */
import type { ClfFormat, JsonField, LogFormat } from './formats.js';
import { DEFAULT_JSON_FIELDS, JSON_FIELDS } from './formats.js';
import { framedParser } from './frame.js';
import { compileLayout, layoutParser } from './layout.js';

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
  /** When the client field is a plain dotted quad: the address as a 32-bit number (ip4). */
  isIp4: boolean;
  ip4: number;
  /** Milliseconds since the epoch (UTC). */
  time: number;
  /** Minutes since the epoch (UTC): floor(time / 60000). */
  minute: number;
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
  /** Whether the line names a referer (not "-"). */
  hasReferer: boolean;
  /** The user agent as logged: bytes [agentStart, agentEnd) of agentBuf, or agentText (see recordAgent). */
  agentBuf: Uint8Array | null;
  agentStart: number;
  agentEnd: number;
  agentText: string;
  /** The referer as logged (empty when "-"): bytes [refererStart, refererEnd) of refererBuf, or refererText. */
  refererBuf: Uint8Array | null;
  refererStart: number;
  refererEnd: number;
  refererText: string;
  /** The query string with its "?": bytes [queryStart, queryEnd) of queryBuf, or queryText (see recordQuery). */
  queryBuf: Uint8Array | null;
  queryStart: number;
  queryEnd: number;
  queryText: string;
  /** An X-Forwarded-For value (the first trailing quoted field of a combined line), or empty (see recordForwardedFor). */
  xffBuf: Uint8Array | null;
  xffStart: number;
  xffEnd: number;
  xffText: string;
}

/** The query string of a record with its "?", or '' (made only when needed). */
export function recordQuery(rec: LogRecord): string {
  return rec.queryBuf ? (Buffer.prototype.latin1Slice.call(rec.queryBuf, rec.queryStart, rec.queryEnd) as string) : rec.queryText;
}

/** The X-Forwarded-For value of a record, or ''. */
export function recordForwardedFor(rec: LogRecord): string {
  return rec.xffBuf ? (Buffer.prototype.latin1Slice.call(rec.xffBuf, rec.xffStart, rec.xffEnd) as string) : rec.xffText;
}

/** The user agent of a record as logged, or ''. */
export function recordAgent(rec: LogRecord): string {
  return rec.agentBuf ? (Buffer.prototype.latin1Slice.call(rec.agentBuf, rec.agentStart, rec.agentEnd) as string) : rec.agentText;
}

/** The referer of a record as logged, or ''. */
export function recordReferer(rec: LogRecord): string {
  return rec.refererBuf ? (Buffer.prototype.latin1Slice.call(rec.refererBuf, rec.refererStart, rec.refererEnd) as string) : rec.refererText;
}

/** The client field of a record as a string. */
export function recordIp(rec: LogRecord): string {
  return rec.ipBuf ? (Buffer.prototype.latin1Slice.call(rec.ipBuf, rec.ipStart, rec.ipEnd) as string) : rec.ipText;
}

/** The request path of a record as a string (made only when needed: most lines never need it). */
export function recordPath(rec: LogRecord): string {
  return rec.pathBuf ? (Buffer.prototype.latin1Slice.call(rec.pathBuf, rec.pathStart, rec.pathEnd) as string) : rec.pathText;
}

export function setPathText(rec: LogRecord, text: string): void {
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
    isIp4: false,
    ip4: 0,
    time: 0,
    minute: 0,
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
    hasReferer: false,
    agentBuf: null,
    agentStart: 0,
    agentEnd: 0,
    agentText: '',
    refererBuf: null,
    refererStart: 0,
    refererEnd: 0,
    refererText: '',
    queryBuf: null,
    queryStart: 0,
    queryEnd: 0,
    queryText: '',
    xffBuf: null,
    xffStart: 0,
    xffEnd: 0,
    xffText: '',
  };
}

const SPACE = 0x20;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const QMARK = 0x3f;
const DASH = 0x2d;
const NL = 0x0a;
const CR = 0x0d;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * A 32-bit hash of bytes, four at a time (FNV-1a's multiply on 32-bit words, then a final mix); never 0,
 * so that 0 can mean "absent". Fields such as user agents are long, and this is on every line. The result is
 * a signed 32-bit integer: V8 keeps those unboxed, where an unsigned one above 2^31 would cost an allocation.
 */
export function hashBytes(buf: Uint8Array, start: number, end: number, seed = FNV_OFFSET): number {
  let h = seed ^ (end - start);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    h = Math.imul(h ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24)), FNV_PRIME);
    h ^= h >>> 15;
  }
  for (; i < end; i++) h = Math.imul(h ^ buf[i]!, FNV_PRIME);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h | 0 || 1;
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
  return h | 0 || 1;
}

const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};
export const MONTH_BY_CODE = new Map<number, number>(
  Object.entries(MONTHS).map(([name, m]) => [(name.charCodeAt(0) << 16) | (name.charCodeAt(1) << 8) | name.charCodeAt(2), m]),
);

export const MIN_YEAR = 1970;
export const MAX_YEAR = 2100;
export const MIN_TIME = Date.UTC(MIN_YEAR, 0, 1);
export const MAX_TIME = Date.UTC(MAX_YEAR + 1, 0, 1);

// The day of the last timestamp, so that a busy log converts each calendar day once.
let cachedDay = -1;
let cachedMonth = -1;
let cachedYear = -1;
let cachedDayMs = 0;

/** Two ASCII digits at `p` as a number, or -1. */
function two(buf: Uint8Array, p: number): number {
  const a = buf[p]! - 0x30;
  const b = buf[p + 1]! - 0x30;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * Parses "10/Oct/2000:13:55:36 -0700" at `pos` into rec.time, rec.minute and rec.tzOffset. Returns false when
 * it is not such a timestamp. Bytes are checked in order, so a line that ends early stops the check at its end.
 */
export function parseClfTime(buf: Uint8Array, pos: number, rec: LogRecord): boolean {
  const day = two(buf, pos);
  if (day < 1 || day > 31 || buf[pos + 2] !== 0x2f) return false;
  const m0 = buf[pos + 3]!;
  const m1 = buf[pos + 4]!;
  const m2 = buf[pos + 5]!;
  if (buf[pos + 6] !== 0x2f) return false;
  const y1 = two(buf, pos + 7);
  const y2 = two(buf, pos + 9);
  if (y1 < 0 || y2 < 0 || buf[pos + 11] !== 0x3a) return false;
  const hh = two(buf, pos + 12);
  if (hh < 0 || hh > 23 || buf[pos + 14] !== 0x3a) return false;
  const mm = two(buf, pos + 15);
  if (mm < 0 || mm > 59 || buf[pos + 17] !== 0x3a) return false;
  const ss = two(buf, pos + 18);
  if (ss < 0 || ss > 60 || buf[pos + 20] !== SPACE) return false;
  const sign = buf[pos + 21];
  if (sign !== 0x2b && sign !== DASH) return false;
  const tzh = two(buf, pos + 22);
  const tzm = two(buf, pos + 24);
  if (tzh < 0 || tzh > 14 || tzm < 0 || tzm > 59) return false;
  const year = y1 * 100 + y2;
  const monthCode = (m0 << 16) | (m1 << 8) | m2;
  if (day !== cachedDay || monthCode !== cachedMonth || year !== cachedYear) {
    const month = MONTH_BY_CODE.get(monthCode);
    // A date that is no calendar day (31/Feb) or outside the years a log can come from is no timestamp.
    if (month === undefined || year < MIN_YEAR || year > MAX_YEAR || day > new Date(Date.UTC(year, month + 1, 0)).getUTCDate()) return false;
    cachedDay = day;
    cachedMonth = monthCode;
    cachedYear = year;
    cachedDayMs = Date.UTC(year, month, day);
  }
  const offset = (sign === DASH ? -1 : 1) * (tzh * 60 + tzm);
  const minuteOfDay = hh * 60 + mm - offset;
  rec.tzOffset = offset;
  rec.minute = cachedDayMs / 60000 + minuteOfDay;
  rec.time = cachedDayMs + minuteOfDay * 60000 + ss * 1000;
  return true;
}

export function methodOf(buf: Uint8Array, start: number, len: number): Method {
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

/**
 * The closing quote of a quoted field whose content starts at `from`, before the line's newline at `nl`, or
 * -1. A quote preceded by an odd number of backslashes is escaped, as Apache and nginx write them. The
 * search itself is Buffer's native one: long fields (agents, referers) are skipped, not walked in JavaScript.
 */
export function closingQuote(buf: Buffer, from: number, nl: number): number {
  for (;;) {
    const q = buf.indexOf(QUOTE, from);
    if (q < 0 || q >= nl) return -1;
    if (buf[q - 1] !== BACKSLASH) return q;
    let b = 1;
    while (q - b - 1 >= from && buf[q - b - 1] === BACKSLASH) b++;
    if ((b & 1) === 0) return q;
    from = q + 1;
  }
}

/** The bytes the request target's scan stops at: space, "?", "\\", quote, newline. */
const TARGET_STOP = new Uint8Array(256);
for (const b of [SPACE, QMARK, BACKSLASH, QUOTE, NL]) TARGET_STOP[b] = 1;

/** 1 when the quote at `q` is escaped (an odd number of backslashes before it), else 0. */
function escapes(buf: Uint8Array, q: number): number {
  let b = 0;
  while (buf[q - b - 1] === BACKSLASH) b++;
  return b & 1;
}

/** Whether the 8 bytes at `p` are "HTTP/d.d". */
function isHttpVersion(buf: Uint8Array, p: number): boolean {
  const d1 = buf[p + 5]! - 0x30;
  const d2 = buf[p + 7]! - 0x30;
  return (
    buf[p] === 0x48 &&
    buf[p + 1] === 0x54 &&
    buf[p + 2] === 0x54 &&
    buf[p + 3] === 0x50 &&
    buf[p + 4] === 0x2f &&
    buf[p + 6] === 0x2e &&
    d1 >= 0 &&
    d1 <= 9 &&
    d2 >= 0 &&
    d2 <= 9
  );
}

/** The hash of a user agent's bytes, all of them (what a JSON log's whole agent text hashes to, escapes aside). */
export function agentHashOf(buf: Uint8Array, start: number, end: number): number {
  // The whole agent: a head and tail alone let a flood rotate the middle unseen, and a JSON log (which hashes its
  // whole text) count agents otherwise.
  return hashBytes(buf, start, end);
}

/**
 * Scans one Apache/nginx-family line that starts at `pos` of a buffer in which a newline ends the line (the
 * readers guarantee one). Fills `rec` and returns the index of that newline, or -1 when the line is
 * malformed. Short fields are read byte by byte once; long ones are skipped with native searches. No regular
 * expression, and no string.
 */
export function scanClfLine(buf: Buffer, pos: number, leadingFields: number, requiresAgent: boolean, rec: LogRecord): number {
  const nl = buf.indexOf(NL, pos);
  if (nl < 0) return -1;
  let i = pos;
  let c: number;
  for (let f = 0; f < leadingFields; f++) {
    while ((c = buf[i]!) !== SPACE) {
      if (c === NL) return -1;
      i++;
    }
    i++;
  }
  // The client field. A plain dotted quad (most clients) is packed into a number on the way.
  const ipStart = i;
  let packed = 0;
  let octet = 0;
  let digitsInOctet = 0;
  let dots = 0;
  let plain = true;
  for (;;) {
    c = buf[i]!;
    if (c === SPACE) break;
    if (c === NL) return -1;
    const d = c - 0x30;
    if (d >= 0 && d <= 9) {
      if (digitsInOctet > 0 && octet === 0) plain = false; // a leading zero: leave the odd spelling to ipaddr.js
      octet = octet * 10 + d;
      digitsInOctet++;
    } else if (c === 0x2e) {
      if (digitsInOctet === 0 || octet > 255) plain = false;
      packed = (packed << 8) | octet;
      octet = 0;
      digitsInOctet = 0;
      dots++;
    } else plain = false;
    i++;
  }
  const ipEnd = i;
  if (ipEnd === ipStart || ipEnd - ipStart > 45) return -1;
  const isIp4 = plain && dots === 3 && digitsInOctet > 0 && digitsInOctet <= 3 && octet <= 255;
  // Identity and user fields, up to the time: ` [dd/Mon/yyyy:hh:mm:ss zone] "`. Servers write the user name a
  // client sent as it came (Apache on a 401): spaces, quotes and brackets in it are passed over, the time is
  // the first bracket that holds one and is followed by the request's quote.
  while ((c = buf[i]!) !== LBRACKET) {
    if (c === NL) return -1;
    i++;
  }
  while (buf[i - 1] !== SPACE || nl - i < 30 || buf[i + 27] !== RBRACKET || buf[i + 28] !== SPACE || buf[i + 29] !== QUOTE || !parseClfTime(buf, i + 1, rec)) {
    i = buf.indexOf(LBRACKET, i + 1);
    if (i < 0 || nl - i < 30) return -1;
  }
  i += 27;
  // The request: method, target (path, then query) and protocol.
  const reqStart = i + 3;
  i = reqStart;
  for (;;) {
    c = buf[i]!;
    if (c === SPACE || c === NL || (c === QUOTE && escapes(buf, i) === 0)) break;
    i++;
  }
  let reqEnd = -1;
  let sp1 = -1;
  // A backslash in the target: the server escaped a byte (\xHH, \", \\), read as the JSON formats write it.
  let escaped = false;
  let qm = -1;
  let targetEnd = -1;
  if (c === SPACE) {
    sp1 = i;
    for (i++; ; i++) {
      c = buf[i]!;
      // Most bytes of a target are none of the five that matter: one table look-up passes them.
      if (TARGET_STOP[c] === 0) continue;
      if (c === SPACE) break;
      if (c === QMARK) {
        if (qm < 0) qm = i;
      } else if (c === BACKSLASH) escaped = true;
      else if (c === QUOTE) {
        // The closing quote, unless escaped: then the target goes on.
        if (escapes(buf, i) === 0) {
          reqEnd = i;
          break;
        }
      } else if (c === NL) return -1;
    }
    targetEnd = i;
    if (reqEnd < 0) {
      // After the target: the protocol, usually exactly HTTP/x.y.
      if (isHttpVersion(buf, i + 1) && buf[i + 9] === QUOTE) reqEnd = i + 9;
      else reqEnd = closingQuote(buf, i + 1, nl);
    }
  } else reqEnd = c === QUOTE ? i : -1;
  if (reqEnd < 0 || buf[reqEnd + 1] !== SPACE) return -1;
  // Status: three digits at most, or "-".
  i = reqEnd + 2;
  let status = 0;
  if (buf[i] === DASH) i++;
  else {
    const from = i;
    while ((c = buf[i]! - 0x30) >= 0 && c <= 9) {
      status = status * 10 + c;
      i++;
    }
    if (i === from || status > 999) return -1;
  }
  if (buf[i] !== SPACE) return -1;
  i++;
  let bytes = 0;
  if (buf[i] === DASH) i++;
  else {
    const from = i;
    while ((c = buf[i]! - 0x30) >= 0 && c <= 9) {
      bytes = bytes * 10 + c;
      i++;
    }
    if (i === from) return -1;
  }
  // The end of the line, or a space before more fields.
  c = buf[i]!;
  const atEnd = c === NL || (c === CR && i + 1 === nl);
  if (!atEnd && c !== SPACE) return -1;
  let agentHash = 0;
  let hasReferer = false;
  let xffStart = 0;
  let xffEnd = 0;
  let agentStart = 0;
  let agentEnd = 0;
  let refererStart = 0;
  let refererEnd = 0;
  if (requiresAgent) {
    if (atEnd || buf[i + 1] !== QUOTE) return -1;
    const noReferer = buf[i + 2] === DASH && buf[i + 3] === QUOTE;
    const refEnd = noReferer ? i + 3 : closingQuote(buf, i + 2, nl);
    if (refEnd < 0 || buf[refEnd + 1] !== SPACE || buf[refEnd + 2] !== QUOTE) return -1;
    hasReferer = !noReferer && refEnd > i + 2;
    if (hasReferer) {
      refererStart = i + 2;
      refererEnd = refEnd;
    }
    const uaStart = refEnd + 3;
    const uaEnd = closingQuote(buf, uaStart, nl);
    if (uaEnd < 0) return -1;
    // A trailing quoted field (nginx's and many Apache layouts put X-Forwarded-For there).
    if (buf[uaEnd + 1] === SPACE && buf[uaEnd + 2] === QUOTE) {
      const end = closingQuote(buf, uaEnd + 3, nl);
      if (end > uaEnd + 3 && !(end === uaEnd + 4 && buf[uaEnd + 3] === DASH)) {
        xffStart = uaEnd + 3;
        xffEnd = end;
      }
    }
    const len = uaEnd - uaStart;
    if (len > 0 && !(len === 1 && buf[uaStart] === DASH)) {
      agentStart = uaStart;
      agentEnd = uaEnd;
      agentHash = agentHashOf(buf, uaStart, uaEnd);
    }
  }
  rec.status = status;
  rec.bytes = bytes;
  rec.agentHash = agentHash;
  rec.hasReferer = hasReferer;
  rec.agentBuf = buf;
  rec.agentStart = agentStart;
  rec.agentEnd = agentEnd;
  rec.refererBuf = buf;
  rec.refererStart = refererStart;
  rec.refererEnd = refererEnd;
  rec.xffBuf = buf;
  rec.xffStart = xffStart;
  rec.xffEnd = xffEnd;
  rec.queryBuf = buf;
  rec.queryStart = 0;
  rec.queryEnd = 0;
  rec.isIp4 = isIp4;
  rec.ip4 = isIp4 ? (packed << 8) | octet : 0;
  rec.ipBuf = buf;
  rec.ipStart = ipStart;
  rec.ipEnd = ipEnd;
  // Plain IPv4 clients are found by their number; the hash is for everything else.
  rec.ipHash = isIp4 ? 0 : hashBytes(buf, ipStart, ipEnd);
  // Method and path.
  if (sp1 < 0) {
    rec.method = Method.Invalid;
    setPathText(rec, '');
    rec.pathHash = hashBytes(buf, reqStart, reqEnd);
    rec.queryHash = 0;
  } else {
    rec.method = methodOf(buf, reqStart, sp1 - reqStart);
    const pathEnd = qm < 0 ? targetEnd : qm;
    rec.pathBuf = buf;
    rec.pathStart = sp1 + 1;
    rec.pathEnd = pathEnd;
    rec.pathHash = hashBytes(buf, sp1 + 1, pathEnd);
    rec.queryHash = pathEnd < targetEnd ? hashBytes(buf, sp1 + 1, targetEnd) : 0;
    rec.queryStart = pathEnd;
    rec.queryEnd = targetEnd;
    if (escaped) setTarget(rec, unescapeLogged(Buffer.prototype.latin1Slice.call(buf, sp1 + 1, targetEnd) as string));
  }
  return nl;
}

/**
 * A value as Apache and nginx write it into a quoted field (`\"`, `\\`, `\xHH`), unescaped: the same text a
 * JSON log holds for it.
 */
export function unescapeLogged(text: string): string {
  return text.includes('\\')
    ? text.replace(/\\x([0-9a-fA-F]{2})|\\(["\\])/g, (_, h: string | undefined, c: string | undefined) => (h ? String.fromCharCode(parseInt(h, 16)) : c!))
    : text;
}

/** The request target as text (a JSON log's, or an unescaped one): path and query, their hashes. */
export function setTarget(rec: LogRecord, target: string): void {
  const q = target.indexOf('?');
  setPathText(rec, q < 0 ? target : target.slice(0, q));
  rec.pathHash = hashString(rec.pathText);
  rec.queryHash = q < 0 ? 0 : hashString(target);
  rec.queryBuf = null;
  rec.queryText = q < 0 ? '' : target.slice(q);
}

let scratch = Buffer.alloc(4096);

/**
 * Parses one Apache/nginx-family line held in bytes [start, end) (no newline). Returns false when it is
 * malformed. The record may point into a scratch copy that is valid until the next call; the readers use
 * scanClfLine directly.
 */
export function parseClfLine(buf: Uint8Array, start: number, end: number, fmt: ClfFormat, rec: LogRecord): boolean {
  const len = end - start;
  if (scratch.length < len + 1) scratch = Buffer.alloc(Math.max(len + 1, scratch.length * 2));
  scratch.set(buf.subarray(start, end), 0);
  scratch[len] = NL;
  // A line never holds a newline of its own; a stray one inside the bytes makes it malformed.
  return scanClfLine(scratch, 0, fmt.leadingFields, fmt.requiresAgent, rec) === len;
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

/** A field by its name, or, when no key is named so, by its dotted path into nested objects and lists. */
function field(obj: Record<string, unknown>, name: string): unknown {
  const v = obj[name];
  if (v !== undefined || !name.includes('.')) return v;
  let at: unknown = obj;
  for (const key of name.split('.')) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

function pick(obj: Record<string, unknown>, names: readonly string[]): unknown {
  for (const n of names) {
    const v = field(obj, n);
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return undefined;
}

const clfTimeBuf = Buffer.alloc(64);

function parseJsonTime(value: unknown, rec: LogRecord): boolean {
  if (typeof value === 'number' && Number.isFinite(value)) {
    // nginx $msec is seconds with a fraction; anything larger is already milliseconds.
    rec.time = value < 1e11 ? Math.round(value * 1000) : value;
    if (rec.time < MIN_TIME || rec.time >= MAX_TIME) return false;
    rec.minute = Math.floor(rec.time / 60000);
    rec.tzOffset = 0;
    return true;
  }
  if (typeof value !== 'string') return false;
  if (/^\d+(\.\d+)?$/.test(value)) return parseJsonTime(Number(value), rec);
  if (/^\d\d\/[A-Z][a-z]{2}\/\d{4}:/.test(value)) {
    clfTimeBuf.fill(0);
    clfTimeBuf.write(value, 'latin1');
    return parseClfTime(clfTimeBuf, 0, rec);
  }
  const t = Date.parse(value);
  if (Number.isNaN(t) || t < MIN_TIME || t >= MAX_TIME) return false;
  // Date.parse rolls 2026-02-31 over into March: such a date is no timestamp.
  const ymd = /^(\d{4})-(\d\d)-(\d\d)/.exec(value);
  if (ymd && Number(ymd[3]) > new Date(Date.UTC(Number(ymd[1]), Number(ymd[2]), 0)).getUTCDate()) return false;
  rec.time = t;
  rec.minute = Math.floor(t / 60000);
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
export function parseJsonLine(buf: Uint8Array, start: number, end: number, fields: JsonFieldMap, rec: LogRecord): boolean {
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
  rec.isIp4 = false;
  rec.ipText = ip;
  rec.ipHash = hashString(ip);
  rec.status = status;
  rec.bytes = bytes;
  const agent = pick(o, fields.agent);
  rec.agentHash = typeof agent === 'string' && agent !== '-' && agent !== '' ? hashString(agent) : 0;
  rec.agentBuf = null;
  rec.agentText = rec.agentHash !== 0 ? (agent as string) : '';
  const referer = pick(o, fields.referer);
  rec.hasReferer = typeof referer === 'string' && referer !== '-' && referer !== '';
  rec.refererBuf = null;
  rec.refererText = rec.hasReferer ? (referer as string) : '';
  const xff = pick(o, fields.forwardedFor);
  rec.xffBuf = null;
  rec.xffText = typeof xff === 'string' && xff !== '-' ? xff : '';
  rec.queryBuf = null;
  rec.queryText = '';
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
  setTarget(rec, target);
  return true;
}

export type LineParser = (buf: Uint8Array, start: number, end: number, rec: LogRecord) => boolean;

export function parserFor(format: LogFormat, jsonFields: JsonFieldMap = DEFAULT_JSON_FIELDS): LineParser {
  switch (format.kind) {
    case 'clf':
      return (buf, start, end, rec) => parseClfLine(buf, start, end, format, rec);
    case 'json':
      return (buf, start, end, rec) => parseJsonLine(buf, start, end, jsonFields, rec);
    case 'layout': {
      const layout = compileLayout(format.layout);
      if (typeof layout === 'string') throw new Error(`log format ${format.name}: ${layout}`);
      return layoutParser(layout);
    }
    case 'framed':
      return framedParser(parserFor(format.inner, jsonFields));
  }
}
