/**
 * Any Apache/nginx layout, from the server's own format string (`log_format` or `LogFormat`, pasted as the
 * config writes it). The string is compiled once into a small program of steps (a literal, a field up to its
 * delimiter, a quoted field, a time) that runs over a line's bytes and fills the same LogRecord the combined
 * scanner fills, by the same rules: the same features whatever the layout.
 */
import { errors } from '../core/errors.js';
import { APACHE_DIRECTIVES, APACHE_HEADERS, FORMAT_NAMES, findFormat, NGINX_VARIABLES, type LayoutRole, type LogFormat } from './formats.js';
import {
  agentHashOf,
  closingQuote,
  hashBytes,
  MAX_TIME,
  MAX_YEAR,
  Method,
  methodOf,
  MIN_TIME,
  MIN_YEAR,
  MONTH_BY_CODE,
  parseClfTime,
  setPathText,
  setTarget,
  unescapeLogged,
  type LineParser,
  type LogRecord,
} from './parse.js';

const SPACE = 0x20;
const BACKSLASH = 0x5c;
const QMARK = 0x3f;
const DASH = 0x2d;

/** The record fields a step can fill, by slot: each has a [start, end) range per line. */
const SLOTS = ['ip', 'request', 'method', 'target', 'path', 'query', 'status', 'bytes', 'bytesTotal', 'referer', 'agent', 'forwardedFor', 'epoch'] as const;
type Slot = (typeof SLOTS)[number];
const slot = (s: Slot): number => SLOTS.indexOf(s);
const S_IP = slot('ip');
const S_REQUEST = slot('request');
const S_METHOD = slot('method');
const S_TARGET = slot('target');
const S_PATH = slot('path');
const S_QUERY = slot('query');
const S_STATUS = slot('status');
const S_BYTES = slot('bytes');
const S_BYTES_TOTAL = slot('bytesTotal');
const S_REFERER = slot('referer');
const S_AGENT = slot('agent');
const S_XFF = slot('forwardedFor');
const S_EPOCH = slot('epoch');

/** A strftime conversion (a letter), or a literal byte (a number). */
type TimeToken = string | number;

export type Step =
  | { readonly op: 'literal'; readonly bytes: Buffer }
  /** A field up to `stop` (or `stop2`, or the line's end), or up to its closing quote when `quoted`; slot -1: not read. */
  | {
      readonly op: 'field';
      readonly name: string;
      readonly slot: number;
      readonly quoted: boolean;
      readonly stop: number;
      readonly stop2: number;
      readonly epochScale: number;
    }
  /** `dd/Mon/yyyy:hh:mm:ss +zzzz`, 26 bytes. */
  | { readonly op: 'clfTime' }
  | { readonly op: 'strftime'; readonly name: string; readonly tokens: readonly TimeToken[] };

export interface Layout {
  readonly dialect: 'nginx' | 'apache';
  readonly steps: readonly Step[];
}

// ---- reading the format string as the config writes it ----

/** The quoted pieces of a config value (`'a' "b" c`), joined as nginx joins them; the rest of the text when unquoted. */
function joinQuoted(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ';') break;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\\' && j + 1 < text.length) {
          // Inside a quoted config string a backslash escapes the quote (and itself).
          if (text[j + 1] === c || text[j + 1] === '\\') {
            out += text[j + 1];
            j += 2;
            continue;
          }
        }
        out += text[j];
        j++;
      }
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !/[\s;]/.test(text[j]!)) j++;
      out += text.slice(i, j);
      i = j;
    }
  }
  return out;
}

/**
 * The format itself from what an operator pastes: `log_format main '...' '...';`, `LogFormat "..." combined`,
 * the quoted value alone, or the bare format (with `\"` as Apache's config writes a quote).
 */
export function formatText(pasted: string): string {
  const text = pasted.trim();
  const nginx = /^log_format\s+\S+\s+(?:escape=\S+\s+)?([\s\S]*)$/.exec(text);
  if (nginx) return joinQuoted(nginx[1]!);
  const apache = /^(?:LogFormat|CustomLog\s+\S+)\s+("(?:[^"\\]|\\.)*")/i.exec(text);
  if (apache) return joinQuoted(apache[1]!);
  // Quoted pieces only (nginx's '...' '...';), or one quoted string and a nickname ("..." combined); a bare
  // format that merely starts with a quoted field ("$time_local" client=...) is taken as it is.
  if (/^(?:\s*(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"))+\s*;?$/.test(text)) return joinQuoted(text);
  const nicknamed = /^("(?:[^"\\]|\\.)*")\s+\w+$/.exec(text);
  if (nicknamed) return joinQuoted(nicknamed[1]!);
  return text.replace(/\\(["\\])/g, '$1');
}

interface Token {
  readonly literal?: string;
  readonly name?: string;
  readonly role?: LayoutRole;
  /** Apache %{...}t: the time format inside the braces. */
  readonly timeFormat?: string;
}

function nginxTokens(text: string): Token[] | string {
  const tokens: Token[] = [];
  let lit = '';
  for (let i = 0; i < text.length;) {
    if (text[i] !== '$') {
      lit += text[i++];
      continue;
    }
    const m = /^\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/.exec(text.slice(i));
    if (!m) return `"$" at character ${i + 1} starts no variable name`;
    if (lit) tokens.push({ literal: lit });
    lit = '';
    const name = (m[1] ?? m[2])!;
    tokens.push({ name: `$${name}`, role: NGINX_VARIABLES[name] ?? 'skip' });
    i += m[0].length;
  }
  if (lit) tokens.push({ literal: lit });
  return tokens;
}

const APACHE_ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', '"': '"', '\\': '\\' };

function apacheTokens(text: string): Token[] | string {
  const tokens: Token[] = [];
  let lit = '';
  for (let i = 0; i < text.length;) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length && APACHE_ESCAPES[text[i + 1]!] !== undefined) {
      lit += APACHE_ESCAPES[text[i + 1]!];
      i += 2;
      continue;
    }
    if (c !== '%') {
      lit += c;
      i++;
      continue;
    }
    if (text[i + 1] === '%') {
      lit += '%';
      i += 2;
      continue;
    }
    // %[<>][!]NNN,NNN[{arg}]letter, or ^ti / ^to (trailers).
    const m = /^%[<>]?(?:!?\d{3}(?:,\d{3})*)?(?:\{([^}]*)\})?(\^t[io]|[A-Za-z])?/.exec(text.slice(i))!;
    const letter = m[2];
    const shown = m[0] + (letter ? '' : (text[i + m[0].length] ?? ''));
    if (!letter) {
      if (text.slice(i + 1).startsWith('{') && !text.slice(i).includes('}'))
        return `unclosed "{" in ${JSON.stringify(text.slice(i, i + 20))} at character ${i + 1}`;
      return `unknown directive ${shown || '%'} at character ${i + 1}${text.length === i + 1 ? ' (a "%" ends the format)' : ''}`;
    }
    const arg = m[1];
    let role: LayoutRole | undefined;
    if (letter.startsWith('^')) role = 'skip';
    else if (letter === 'i' && arg !== undefined) role = APACHE_HEADERS[arg.toLowerCase()] ?? 'skip';
    else if (letter === 'a' && arg !== undefined) role = arg === 'c' ? 'ip' : 'skip';
    else role = APACHE_DIRECTIVES[letter];
    if (role === undefined) return `unknown directive ${m[0]} at character ${i + 1}`;
    if (lit) tokens.push({ literal: lit });
    lit = '';
    tokens.push({ name: m[0], role, timeFormat: letter === 't' ? arg : undefined });
    i += m[0].length;
  }
  if (lit) tokens.push({ literal: lit });
  return tokens;
}

// ---- time formats ----

const STRFTIME_EXPANSIONS: Readonly<Record<string, string>> = { T: '%H:%M:%S', F: '%Y-%m-%d', D: '%m/%d/%y', R: '%H:%M' };
const STRFTIME_READ = 'YymdeHMSbhBzZaAs';

/** A strftime format as tokens, or an error naming the conversion logwarden cannot read. */
function strftimeTokens(format: string, where: string): TimeToken[] | string {
  const out: TimeToken[] = [];
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== '%') {
      out.push(c.charCodeAt(0) & 0xff);
      continue;
    }
    const d = format[++i];
    if (d === undefined) return `${where}: a "%" ends the time format`;
    if (d === '%') out.push(0x25);
    else if (STRFTIME_EXPANSIONS[d]) {
      const inner = strftimeTokens(STRFTIME_EXPANSIONS[d]!, where);
      if (typeof inner === 'string') return inner;
      out.push(...inner);
    } else if (STRFTIME_READ.includes(d)) out.push(d);
    else return `${where}: the time conversion %${d} is not one logwarden reads (use %Y %m %d %H %M %S %b %z, %T, %F or seconds)`;
  }
  return out;
}

const ISO_TOKENS: readonly TimeToken[] = [...(strftimeTokens('%Y-%m-%dT%H:%M:%S', '$time_iso8601') as TimeToken[]), 'fraction', 'z'];

/** The parts of a time a line's time steps fill (several Apache %{...}t may build one time). */
interface TimeParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millis: number;
  offset: number;
  /** The last number read (scratch). */
  v: number;
}

function digits(buf: Uint8Array, p: number, end: number, min: number, max: number, into: { v: number }): number {
  let v = 0;
  let i = p;
  while (i < end && i - p < max) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
    i++;
  }
  if (i - p < min) return -1;
  into.v = v;
  return i;
}

const isAlpha = (c: number | undefined) => c !== undefined && ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a));

/** Runs a strftime format over the bytes at `p`; the position after it, or -1. */
function readStrftime(tokens: readonly TimeToken[], buf: Uint8Array, p: number, end: number, t: TimeParts): number {
  const num = t;
  for (const tok of tokens) {
    if (typeof tok === 'number') {
      if (p >= end || buf[p] !== tok) return -1;
      p++;
      continue;
    }
    switch (tok) {
      case 'Y':
        if ((p = digits(buf, p, end, 4, 4, num)) < 0) return -1;
        t.year = num.v;
        break;
      case 'y':
        if ((p = digits(buf, p, end, 2, 2, num)) < 0) return -1;
        t.year = 2000 + num.v;
        break;
      case 'm':
        if ((p = digits(buf, p, end, 2, 2, num)) < 0) return -1;
        t.month = num.v - 1;
        break;
      case 'e':
        if (buf[p] === SPACE) p++;
      // falls through
      case 'd':
        if ((p = digits(buf, p, end, 1, 2, num)) < 0) return -1;
        t.day = num.v;
        break;
      case 'H':
        if ((p = digits(buf, p, end, 2, 2, num)) < 0) return -1;
        t.hour = num.v;
        break;
      case 'M':
        if ((p = digits(buf, p, end, 2, 2, num)) < 0) return -1;
        t.minute = num.v;
        break;
      case 'S':
        if ((p = digits(buf, p, end, 2, 2, num)) < 0) return -1;
        t.second = num.v;
        break;
      case 'fraction':
        // An optional fraction of a second (ISO 8601 times may carry one).
        if (buf[p] === 0x2e) {
          const from = p + 1;
          if ((p = digits(buf, from, end, 1, 9, num)) < 0) return -1;
          t.millis = Math.floor(num.v / 10 ** Math.max(0, p - from - 3)) * 10 ** Math.max(0, 3 - (p - from));
        }
        break;
      case 'b':
      case 'h':
      case 'B': {
        if (end - p < 3) return -1;
        const month = MONTH_BY_CODE.get((buf[p]! << 16) | (buf[p + 1]! << 8) | buf[p + 2]!);
        if (month === undefined) return -1;
        t.month = month;
        p += 3;
        if (tok === 'B') while (p < end && isAlpha(buf[p])) p++;
        break;
      }
      case 'z': {
        const sign = buf[p];
        if (sign === 0x5a) {
          t.offset = 0;
          p++;
          break;
        }
        if (sign !== 0x2b && sign !== DASH) return -1;
        let q = digits(buf, p + 1, end, 2, 2, num);
        if (q < 0) return -1;
        const hours = num.v;
        if (buf[q] === 0x3a) q++;
        if ((q = digits(buf, q, end, 2, 2, num)) < 0) return -1;
        t.offset = (sign === DASH ? -1 : 1) * (hours * 60 + num.v);
        p = q;
        break;
      }
      case 's': {
        if ((p = digits(buf, p, end, 1, 12, num)) < 0) return -1;
        const d = new Date(num.v * 1000);
        t.year = d.getUTCFullYear();
        t.month = d.getUTCMonth();
        t.day = d.getUTCDate();
        t.hour = d.getUTCHours();
        t.minute = d.getUTCMinutes();
        t.second = d.getUTCSeconds();
        t.offset = 0;
        break;
      }
      default:
        // %Z, %a, %A: names, read over.
        while (p < end && isAlpha(buf[p])) p++;
    }
  }
  return p;
}

/** The record's time from the parts a line gave; false when they make no time a log can hold. */
function setTimeFromParts(t: TimeParts, rec: LogRecord): boolean {
  const { year, month, day } = t;
  if (year < MIN_YEAR || year > MAX_YEAR || month < 0 || month > 11 || day < 1 || day > new Date(Date.UTC(year, month + 1, 0)).getUTCDate()) return false;
  if (t.hour > 23 || t.minute > 59 || t.second > 60 || t.offset < -14 * 60 || t.offset > 14 * 60) return false;
  const dayMs = Date.UTC(year, month, day);
  const minuteOfDay = t.hour * 60 + t.minute - t.offset;
  // As parseClfTime counts them, so that a layout's time is the combined scanner's to the millisecond.
  rec.tzOffset = t.offset;
  rec.minute = dayMs / 60000 + minuteOfDay;
  rec.time = dayMs + minuteOfDay * 60000 + t.second * 1000 + t.millis;
  return true;
}

/** A number of seconds (with a fraction), milliseconds or microseconds since the epoch. */
function setEpoch(buf: Uint8Array, start: number, end: number, scale: number, rec: LogRecord): boolean {
  let whole = 0;
  let i = start;
  for (; i < end && buf[i] !== 0x2e; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9 || i - start > 16) return false;
    whole = whole * 10 + d;
  }
  if (i === start) return false;
  let frac = 0;
  let fracDigits = 0;
  if (i < end) {
    for (i++; i < end; i++) {
      const d = buf[i]! - 0x30;
      if (d < 0 || d > 9) return false;
      if (fracDigits < 3) {
        frac = frac * 10 + d;
        fracDigits++;
      }
    }
    while (fracDigits < 3) {
      frac *= 10;
      fracDigits++;
    }
  }
  const ms = scale === 1000 ? whole * 1000 + frac : scale === 1 ? whole : Math.floor(whole / 1000);
  if (ms < MIN_TIME || ms >= MAX_TIME) return false;
  rec.time = ms;
  rec.minute = Math.floor(ms / 60000);
  rec.tzOffset = 0;
  return true;
}

// ---- compiling ----

const ROLE_SLOT: Partial<Record<LayoutRole, Slot>> = {
  ip: 'ip',
  request: 'request',
  method: 'method',
  target: 'target',
  path: 'path',
  query: 'query',
  status: 'status',
  bytes: 'bytes',
  bytesTotal: 'bytesTotal',
  referer: 'referer',
  agent: 'agent',
  forwardedFor: 'forwardedFor',
  epochSeconds: 'epoch',
  epochMillis: 'epoch',
  epochMicros: 'epoch',
};
const EPOCH_SCALE: Partial<Record<LayoutRole, number>> = { epochSeconds: 1000, epochMillis: 1, epochMicros: 0.001 };

/** The dialect a format string is written in: the one with more fields in it. */
function dialectOf(text: string): 'nginx' | 'apache' {
  const nginx = (text.match(/\$\{?[A-Za-z_]/g) ?? []).length;
  const apache = (text.match(/%[<>{!0-9A-Za-z^]/g) ?? []).length;
  return nginx >= apache && nginx > 0 ? 'nginx' : 'apache';
}

/**
 * Compiles a format string into a layout, or returns one line saying what is wrong with it (naming the
 * directive). Unknown nginx variables and Apache directives that hold nothing the record needs are skipped.
 */
export function compileLayout(pasted: string): Layout | string {
  const text = formatText(pasted);
  const dialect = dialectOf(text);
  const tokens = dialect === 'nginx' ? nginxTokens(text) : apacheTokens(text);
  if (typeof tokens === 'string') return tokens;
  // Apache's %t writes its brackets; its %{format}t writes only the format.
  const expanded: Token[] = [];
  for (const t of tokens) {
    if (dialect === 'apache' && t.role === 'timeLocal' && t.timeFormat === undefined) expanded.push({ literal: '[' }, t, { literal: ']' });
    else expanded.push(t);
  }
  const merged: Token[] = [];
  for (const t of expanded) {
    const last = merged.at(-1);
    if (t.literal !== undefined && last?.literal !== undefined) merged[merged.length - 1] = { literal: last.literal + t.literal };
    else merged.push(t);
  }
  const steps: Step[] = [];
  const seen = new Set<Slot>();
  let hasTime = false;
  for (let k = 0; k < merged.length; k++) {
    const t = merged[k]!;
    if (t.literal !== undefined) {
      steps.push({ op: 'literal', bytes: Buffer.from(t.literal, 'latin1') });
      continue;
    }
    const name = t.name!;
    let role = t.role!;
    let timeTokens: readonly TimeToken[] | undefined;
    if (dialect === 'apache' && t.timeFormat !== undefined) {
      const f = t.timeFormat.replace(/^(?:begin|end):/, '');
      if (f === 'sec') role = 'epochSeconds';
      else if (f === 'msec') role = 'epochMillis';
      else if (f === 'usec') role = 'epochMicros';
      else if (f === 'msec_frac' || f === 'usec_frac') role = 'skip';
      else {
        const parsed = strftimeTokens(f, name);
        if (typeof parsed === 'string') return parsed;
        timeTokens = parsed;
      }
    }
    if (role === 'timeIso') timeTokens = ISO_TOKENS;
    if (timeTokens) {
      steps.push({ op: 'strftime', name, tokens: timeTokens });
      hasTime = true;
      continue;
    }
    if (role === 'timeLocal') {
      steps.push({ op: 'clfTime' });
      hasTime = true;
      continue;
    }
    // The first field of each kind is the one read (%b before %O, $body_bytes_sent before $bytes_sent).
    let s = ROLE_SLOT[role];
    if (s !== undefined && seen.has(s)) s = undefined;
    if (s !== undefined) seen.add(s);
    if (s === 'epoch') hasTime = true;
    const prev = merged[k - 1];
    const next = merged[k + 1];
    const quoted = prev?.literal?.endsWith('"') === true && next?.literal?.startsWith('"') === true;
    let stop = -1;
    let stop2 = -1;
    if (next?.literal !== undefined) stop = next.literal.charCodeAt(0) & 0xff;
    else if (next !== undefined) {
      // Two fields with nothing between them: only a path followed by its query can be told apart.
      if (role === 'path' && next.role === 'query') {
        stop2 = QMARK;
        const after = merged[k + 2]?.literal;
        if (after !== undefined) stop = after.charCodeAt(0) & 0xff;
      } else return `nothing separates ${name} from ${next.name}: logwarden cannot tell where one ends`;
    }
    steps.push({ op: 'field', name, slot: s === undefined ? -1 : slot(s), quoted, stop, stop2, epochScale: EPOCH_SCALE[role] ?? 0 });
  }
  const want = (what: string, nginx: string, apache: string) => `the format names no ${what} (${dialect === 'nginx' ? nginx : apache})`;
  if (!seen.has('ip')) return want('client address', '$remote_addr', '%h or %a');
  if (!hasTime) return want('time', '$time_local, $time_iso8601 or $msec', '%t or %{...}t');
  if (!seen.has('status')) return want('status', '$status', '%s or %>s');
  if (!seen.has('request') && !seen.has('target') && !seen.has('path')) return want('request', '$request or $request_uri', '%r or %U');
  return { dialect, steps };
}

// ---- running ----

/** Whether the bytes at `p` are `bytes`. */
function matches(buf: Uint8Array, p: number, end: number, bytes: Buffer): boolean {
  if (end - p < bytes.length) return false;
  for (let k = 0; k < bytes.length; k++) if (buf[p + k] !== bytes[k]) return false;
  return true;
}

/**
 * The end of an unquoted field that runs to `stop`. A field nginx fills with a list (several upstreams:
 * "10.0.0.1:80, 10.0.0.2:80", "0.004 : 0.010") goes on over ", " and " : ".
 */
function fieldEnd(buf: Uint8Array, p: number, end: number, stop: number, stop2: number): number {
  let i = p;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c === stop2) return i;
    if (c !== stop) continue;
    if (c === SPACE && ((buf[i - 1] === 0x2c && i > p) || (buf[i + 1] === 0x3a && buf[i + 2] === SPACE && i + 2 < end))) {
      if (buf[i + 1] === 0x3a) i += 2;
      continue;
    }
    return i;
  }
  return end;
}

/** Fills the record's client fields from [s, e), as scanClfLine does on its way over the field. */
function setClient(buf: Buffer, s: number, e: number, rec: LogRecord): boolean {
  if (e === s || e - s > 45) return false;
  let packed = 0;
  let octet = 0;
  let digitsInOctet = 0;
  let dots = 0;
  let plain = true;
  for (let i = s; i < e; i++) {
    const c = buf[i]!;
    const d = c - 0x30;
    if (d >= 0 && d <= 9) {
      if (digitsInOctet > 0 && octet === 0) plain = false;
      octet = octet * 10 + d;
      digitsInOctet++;
    } else if (c === 0x2e) {
      if (digitsInOctet === 0 || octet > 255) plain = false;
      packed = (packed << 8) | octet;
      octet = 0;
      digitsInOctet = 0;
      dots++;
    } else plain = false;
  }
  const isIp4 = plain && dots === 3 && digitsInOctet > 0 && digitsInOctet <= 3 && octet <= 255;
  rec.isIp4 = isIp4;
  rec.ip4 = isIp4 ? (packed << 8) | octet : 0;
  rec.ipBuf = buf;
  rec.ipStart = s;
  rec.ipEnd = e;
  rec.ipHash = isIp4 ? 0 : hashBytes(buf, s, e);
  return true;
}

/** A status or byte count: digits, or "-" for none (0); -1 when it is neither. */
function count(buf: Uint8Array, s: number, e: number): number {
  if (e - s === 1 && buf[s] === DASH) return 0;
  if (e === s || e - s > 15) return -1;
  let v = 0;
  for (let i = s; i < e; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Path and query from a request target's bytes [s, e), as scanClfLine reads them. */
function setTargetBytes(buf: Buffer, s: number, e: number, rec: LogRecord): void {
  let qm = -1;
  let escaped = false;
  for (let i = s; i < e; i++) {
    const c = buf[i];
    if (c === QMARK) {
      if (qm < 0) qm = i;
    } else if (c === BACKSLASH) escaped = true;
  }
  const pathEnd = qm < 0 ? e : qm;
  rec.pathBuf = buf;
  rec.pathStart = s;
  rec.pathEnd = pathEnd;
  rec.pathHash = hashBytes(buf, s, pathEnd);
  rec.queryHash = pathEnd < e ? hashBytes(buf, s, e) : 0;
  rec.queryBuf = buf;
  rec.queryStart = pathEnd;
  rec.queryEnd = e;
  if (escaped) setTarget(rec, unescapeLogged(Buffer.prototype.latin1Slice.call(buf, s, e) as string));
}

function setNoRequest(rec: LogRecord, hash: number): void {
  rec.method = Method.Invalid;
  setPathText(rec, '');
  rec.pathHash = hash;
  rec.queryHash = 0;
  rec.queryBuf = rec.ipBuf;
  rec.queryStart = 0;
  rec.queryEnd = 0;
}

/** Method and target from a request line [s, e): "GET /a?b HTTP/1.1". */
function setRequestLine(buf: Buffer, s: number, e: number, rec: LogRecord): void {
  let sp1 = s;
  while (sp1 < e && buf[sp1] !== SPACE) sp1++;
  if (sp1 >= e) {
    setNoRequest(rec, hashBytes(buf, s, e));
    return;
  }
  rec.method = methodOf(buf, s, sp1 - s);
  let targetEnd = sp1 + 1;
  while (targetEnd < e && buf[targetEnd] !== SPACE) targetEnd++;
  setTargetBytes(buf, sp1 + 1, targetEnd, rec);
}

/** The record from the ranges the steps found; false when a field holds what it cannot. */
function finish(buf: Buffer, r: Int32Array, rec: LogRecord): boolean {
  const at = (k: number) => r[2 * k]!;
  const to = (k: number) => r[2 * k + 1]!;
  if (!setClient(buf, at(S_IP), to(S_IP), rec)) return false;
  const status = count(buf, at(S_STATUS), to(S_STATUS));
  if (status < 0 || status > 999) return false;
  const bytesSlot = at(S_BYTES) >= 0 ? S_BYTES : S_BYTES_TOTAL;
  const bytes = at(bytesSlot) >= 0 ? count(buf, at(bytesSlot), to(bytesSlot)) : 0;
  if (bytes < 0) return false;
  rec.status = status;
  rec.bytes = bytes;
  const [rs, re] = [at(S_REFERER), to(S_REFERER)];
  rec.hasReferer = rs >= 0 && re > rs && !(re === rs + 1 && buf[rs] === DASH);
  rec.refererBuf = buf;
  rec.refererStart = rec.hasReferer ? rs : 0;
  rec.refererEnd = rec.hasReferer ? re : 0;
  const [as, ae] = [at(S_AGENT), to(S_AGENT)];
  const hasAgent = as >= 0 && ae > as && !(ae === as + 1 && buf[as] === DASH);
  rec.agentBuf = buf;
  rec.agentStart = hasAgent ? as : 0;
  rec.agentEnd = hasAgent ? ae : 0;
  rec.agentHash = hasAgent ? agentHashOf(buf, as, ae) : 0;
  const [xs, xe] = [at(S_XFF), to(S_XFF)];
  const hasXff = xs >= 0 && xe > xs && !(xe === xs + 1 && buf[xs] === DASH);
  rec.xffBuf = buf;
  rec.xffStart = hasXff ? xs : 0;
  rec.xffEnd = hasXff ? xe : 0;
  if (at(S_REQUEST) >= 0) {
    setRequestLine(buf, at(S_REQUEST), to(S_REQUEST), rec);
    return true;
  }
  const target = at(S_TARGET) >= 0 ? S_TARGET : S_PATH;
  if (at(S_METHOD) < 0 || at(target) < 0) {
    setNoRequest(rec, hashBytes(buf, 0, 0));
    return true;
  }
  rec.method = methodOf(buf, at(S_METHOD), to(S_METHOD) - at(S_METHOD));
  const ts = at(target);
  let te = to(target);
  const qs = at(S_QUERY);
  const qe = to(S_QUERY);
  if (target === S_PATH && qs >= 0 && qe > qs) {
    // The query beside its path (%U%q, $uri?$args) is one target; a query logged elsewhere is joined to it.
    if (qs === te && buf[qs] === QMARK) te = qe;
    else if (qs === te + 1 && buf[te] === QMARK) te = qe;
    else {
      const q = Buffer.prototype.latin1Slice.call(buf, buf[qs] === QMARK ? qs + 1 : qs, qe) as string;
      setTarget(rec, unescapeLogged(`${Buffer.prototype.latin1Slice.call(buf, ts, te) as string}?${q}`));
      return true;
    }
  }
  setTargetBytes(buf, ts, te, rec);
  return true;
}

/** A parser for one compiled layout. Its scratch (ranges, time parts) belongs to it alone. */
export function layoutParser(layout: Layout): LineParser {
  const steps = layout.steps;
  const ranges = new Int32Array(SLOTS.length * 2);
  const parts: TimeParts = { year: -1, month: -1, day: -1, hour: 0, minute: 0, second: 0, millis: 0, offset: 0, v: 0 };
  const epochStep = steps.find((s) => s.op === 'field' && s.slot === S_EPOCH);
  const epochScale = epochStep?.op === 'field' ? epochStep.epochScale : 0;
  return (buf, start, end, rec) => {
    const b = buf as Buffer;
    ranges.fill(-1);
    parts.year = parts.month = parts.day = -1;
    parts.hour = parts.minute = parts.second = parts.millis = parts.offset = 0;
    let clfTime = false;
    let p = start;
    for (let k = 0; k < steps.length; k++) {
      const step = steps[k]!;
      switch (step.op) {
        case 'literal':
          if (!matches(buf, p, end, step.bytes)) return false;
          p += step.bytes.length;
          break;
        case 'clfTime':
          if (end - p < 26 || !parseClfTime(buf, p, rec)) return false;
          clfTime = true;
          p += 26;
          break;
        case 'strftime':
          if ((p = readStrftime(step.tokens, buf, p, end, parts)) < 0) return false;
          break;
        case 'field': {
          const e = step.quoted ? closingQuote(b, p, end) : fieldEnd(buf, p, end, step.stop, step.stop2);
          if (e < 0) return false;
          if (step.slot >= 0) {
            ranges[2 * step.slot] = p;
            ranges[2 * step.slot + 1] = e;
          }
          p = e;
        }
      }
    }
    // More fields after the layout's (appended by a later config) are allowed, as the combined scanner allows them.
    if (p < end && buf[p] !== SPACE) return false;
    if (!clfTime) {
      const es = ranges[2 * S_EPOCH]!;
      if (es >= 0) {
        if (!setEpoch(buf, es, ranges[2 * S_EPOCH + 1]!, epochScale, rec)) return false;
      } else if (!setTimeFromParts(parts, rec)) return false;
    }
    return finish(b, ranges, rec);
  };
}

/**
 * The format the options name: `--format` (a preset, or auto when absent) or `--log-format` (a preset's name,
 * or the server's format string, compiled here so that a bad one stops the run before anything is read).
 */
export function formatFromOptions(format: string | undefined, logFormat: string | undefined): LogFormat | undefined {
  const named = format !== undefined && format !== 'auto';
  if (logFormat !== undefined) {
    if (named) throw errors.badOption('log-format', 'give --format or --log-format, not both');
    const preset = findFormat(logFormat.trim());
    if (preset) return preset;
    const layout = compileLayout(logFormat);
    if (typeof layout === 'string') throw errors.badOption('log-format', layout);
    return { kind: 'layout', name: CUSTOM_LAYOUT, description: 'the layout --log-format gave', layout: logFormat };
  }
  if (!named) return undefined;
  const found = findFormat(format);
  if (!found) throw errors.unknownFormat(format, FORMAT_NAMES);
  return found;
}

/** The name a layout from --log-format goes by (in verdicts.json, tables and the console). */
export const CUSTOM_LAYOUT = 'log-format';

/** Whether worker threads can read this format: they are told a format by its name only. */
export function namedFormat(format: LogFormat | undefined): boolean {
  return format === undefined || findFormat(format.name) !== undefined;
}
