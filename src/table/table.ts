/**
 * THE per-client table: one row per client, in typed-array columns that readers fill, threads merge exactly,
 * detection reads and samples come from. A row costs a fixed number of counters, three distinct counters and
 * its requests per minute (in arenas, see distinct.ts and minutes.ts) and at most five sample lines (in
 * deflated chunks, see samples.ts), whatever the number of its lines. Tables merge as if one pass had read all their lines, in any split or order:
 * counts add, the same minute adds up, distinct values unite, and the samples kept are the earliest lines.
 */
import { canonicalAddress, clientKey, type AddressSet } from '../core/address.js';
import { errors } from '../core/errors.js';
import {
  hashBytes,
  hashString,
  Method,
  recordAgent,
  recordForwardedFor,
  recordIp,
  recordPath,
  recordQuery,
  unescapeLogged,
  type LogRecord,
} from '../logs/parse.js';
import {
  AGENT_CRAWLER,
  crawlerIndexOf,
  mayHoldInjection,
  mayHoldInjectionText,
  classifyAgent,
  classifyHeader,
  classifyInjection,
  classifyPath,
  classifyQuery,
  mayHoldQueryIntent,
  PATH_AUTH_FORM,
  PATH_AUTH_TOKEN,
  PATH_EXPLOIT,
  PATH_PAYLOAD,
  PATH_SCANNER,
  PATH_SENSITIVE,
  PATH_STATIC,
  PATH_WELL_KNOWN,
  PathClassifier,
} from '../features/classify.js';
import { Timeline } from '../features/timeline.js';
import type { IgnoreMatcher } from '../logs/ignore.js';
import { grown } from './arena.js';
import { DistinctSets, type DistinctParts } from './distinct.js';
import { MinuteColumns, type MinuteParts } from './minutes.js';
import { SAMPLE_BYTES, SampleSlots, type SampleParts } from './samples.js';

export { MAX_SAMPLES } from './samples.js';

/** The counter columns, in order. */
export const COUNTERS = [
  'requests',
  'post',
  'head',
  'otherMethod',
  'invalidRequest',
  'status2xx',
  'status3xx',
  'status4xx',
  'status404',
  'status5xx',
  'staticHits',
  'sensitiveHits',
  'payloadHits',
  'wellKnownMisses',
  'exploitHits',
  'scannerHits',
  'sensitiveFails',
  'authRequests',
  'authFails',
  'formLoginPosts',
  'crawlerClaims',
  'withQuery',
  'withReferer',
  'bytes',
  'firstTime',
  'lastTime',
  'agentMin',
  'crawlerMin',
  'probeMask',
] as const;
export type Counter = (typeof COUNTERS)[number];
const C = Object.fromEntries(COUNTERS.map((name, i) => [name, i])) as Record<Counter, number>;
const NC = COUNTERS.length;
/** The counters before `bytes` are whole counts (Uint32, 4 bytes a value); bytes, times and agent are Float64. */
const NCOUNT = C.bytes;
const NSPAN = NC - NCOUNT;
const MAX_COUNT = 0xffffffff;
/**
 * The distinct failed sensitive paths of a row, in bounded room: a 32-bit mask, a path's bit from its hash
 * (OR-merged: the same paths give the same mask in any order or split), read back by linear counting. Exact
 * for one path; about right up to a few dozen, which is all a verdict asks (a sweep or one place).
 */
function probeBit(pathHash: number): number {
  return 1 << (Math.imul(pathHash, 0x9e3779b1) >>> 27);
}

/** The distinct paths a probe mask stands for (linear counting; a full mask is "many"). */
export function probePathsOf(mask: number): number {
  let bits = 0;
  for (let m = mask >>> 0; m !== 0; m &= m - 1) bits++;
  return bits >= 32 ? 128 : Math.round(-32 * Math.log(1 - bits / 32));
}

/** Distinct sets per row: paths, queries (path with query), agents. */
const PATHS = 0;
const QUERIES = 1;
const AGENTS = 2;

/** Something that counts distinct values. */
export interface Countable {
  count(): number;
}

/** What detection and the report read of a client (a row of the table). */
export interface ClientStats {
  readonly key: string;
  readonly requests: number;
  readonly post: number;
  readonly head: number;
  readonly otherMethod: number;
  readonly invalidRequest: number;
  readonly status2xx: number;
  readonly status3xx: number;
  readonly status4xx: number;
  readonly status404: number;
  readonly status5xx: number;
  readonly staticHits: number;
  readonly sensitiveHits: number;
  /** Requests with an attack payload in path or query (features/classify.ts). */
  readonly payloadHits: number;
  /** 4xx answers to files clients ask for on their own (favicon, apple-touch-icon, robots.txt...). */
  readonly wellKnownMisses: number;
  /** Requests with an unmistakable attack in any field (features/classify.ts EXPLOIT_SIGNATURES). */
  readonly exploitHits: number;
  /** Requests marked by a scanner that names itself (SCANNER_MARKS), in the agent or the request. */
  readonly scannerHits: number;
  /**
   * Requests to login, admin or secret paths that failed or were refused (4xx, a redirect of a GET) or carried
   * a payload: probing. An admin's session (answered 200) is use, not probing.
   */
  readonly sensitiveFails: number;
  /**
   * Authentication attempts: POSTs to authentication targets (AUTH_TARGETS), and requests to them or to
   * login, admin or secret places refused with 401, 403 or 429 (400 from a token endpoint).
   */
  readonly authRequests: number;
  /** Failed attempts: the refused ones, and a login form's POST answered 2xx (the form shown again). */
  readonly authFails: number;
  /** POSTs to a login form (AUTH_TARGETS `form`), whatever the answer: logging in again and again is no one's use. */
  readonly formLoginPosts: number;
  /** Requests whose user agent names a search engine's crawler (SEARCH_CRAWLERS): verified or fake by address. */
  readonly crawlerClaims: number;
  /** The index in SEARCH_CRAWLERS of the crawler its agent names (the first, when several), or -1. */
  readonly crawler: number;
  /**
   * How many distinct login, admin, secret or script paths failed it (sensitiveFails counts requests): a
   * sweep probes many places; a page whose missing script fails on every view is one place.
   */
  readonly probePaths: number;
  readonly withQuery: number;
  readonly withReferer: number;
  readonly bytes: number;
  readonly firstTime: number;
  readonly lastTime: number;
  /**
   * The client's user agent as a number when it sent one agent only (the smallest agent hash seen; the same
   * whatever the order of the lines), else 0: clients that share a rare agent may be one actor.
   */
  readonly agentId: number;
  readonly peakPerMinute: number;
  /** Minutes with at least one request. */
  readonly activeMinutes: number;
  /** The most requests in any `minutes` consecutive minutes. */
  peakOver(minutes: number): number;
  /** Calls `fn` for every minute with requests, in order, with the count. */
  forEachMinute(fn: (minute: number, count: number) => void): void;
  readonly paths: Countable;
  readonly queries: Countable;
  readonly agents: Countable;
  readonly timeline: Timeline | null;
  readonly samples: readonly string[];
}

export interface AggregateOptions {
  /** IPv6 clients are counted per network of this prefix length (128: per address). */
  readonly ipv6Prefix: number;
  /**
   * Proxies and CDNs in front of the servers: a line from one of them is the client's that X-Forwarded-For
   * names (the rightmost address not itself trusted, as nginx's realip module with real_ip_recursive).
   */
  readonly trustedProxies?: AddressSet;
  /**
   * The caches of path and query classes, shared by tables made one after another (a live window's minutes,
   * prediction requests): each cache is 640 KB, and a fresh one classifies every path again.
   */
  readonly classifiers?: TableClassifiers;
  /** The operator's own automation: lines left out before anything is counted (logs/ignore.ts). */
  readonly ignore?: IgnoreMatcher | null;
}

export interface TableClassifiers {
  readonly paths: PathClassifier;
  readonly queries: PathClassifier;
  /** Referers and forwarded-for values (EXPLOIT_SIGNATURES, SCANNER_MARKS), by hash. */
  readonly headers: PathClassifier;
  /** User agents (the same, and AGENT_CRAWLER), by hash. */
  readonly agents: PathClassifier;
}

export function tableClassifiers(): TableClassifiers {
  return { paths: new PathClassifier(), queries: new PathClassifier(), headers: new PathClassifier(), agents: new PathClassifier() };
}

/** A header's classes, cached by its hash (a different seed than paths', so the two never share a slot's meaning). */
function headerFlags(cache: PathClassifier, hash: number, text: () => string, how: (text: string) => number = classifyHeader): number {
  const f = cache.cached(hash);
  return f >= 0 ? f : cache.classify(hash, text(), how);
}

const HEADER_SEED = 0x5bd1e995;

/** A referer's or forwarded-for value's classes (bytes [start, end) of buf, or text): cached by hash, looked at only when it may hold an injection. */
function urlHeaderFlags(cache: PathClassifier, buf: Uint8Array | null, start: number, end: number, text: string): number {
  if (buf ? end <= start || !mayHoldInjection(buf, start, end) : text === '' || !mayHoldInjectionText(text)) return 0;
  const h = buf ? hashBytes(buf, start, end, HEADER_SEED) : hashText(text);
  return headerFlags(cache, h, () => (buf ? (Buffer.prototype.latin1Slice.call(buf, start, end) as string) : text), classifyInjection);
}
const hashText = (text: string) => hashBytes(Buffer.from(text, 'latin1'), 0, text.length, HEADER_SEED);

/** A table as flat arrays, to move to another thread (the numbers are transferred, not copied). */
export interface TableParts {
  readonly keys: string[];
  /** The counts (COUNTERS before `bytes`), NCOUNT a row. */
  readonly counts: Uint32Array;
  /** bytes, firstTime, lastTime, agentMin, crawlerMin and probeMask, six a row. */
  readonly spans: Float64Array;
  readonly distinct: DistinctParts;
  readonly minutes: MinuteParts;
  readonly samples: SampleParts;
  readonly overall: Timeline;
  readonly badAddressLines: number;
  readonly ignoredLines: number;
}

const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) HEX[65 + c] = HEX[97 + c] = 10 + c;
const GROUPS = new Uint16Array(8);

/** Where four words of an IPv6 address start looking in a table of slots (masked by the caller). */
const ip6Slot = (w: Int32Array) =>
  Math.imul(w[0]! ^ Math.imul(w[1]!, 0x85ebca6b) ^ Math.imul(w[2]!, 0xc2b2ae35) ^ Math.imul(w[3]!, 0x27d4eb2f), 0x9e3779b1) >>> 7;

/**
 * An IPv6 address in its usual spellings (hex groups, one `::`) as four 32-bit words; false for anything
 * else (an embedded IPv4 address, a zone, an IPv4-mapped address, junk), which takes the general path.
 */
export function parseIp6(b: Uint8Array, start: number, end: number, out: Int32Array): boolean {
  const g = GROUPS;
  let n = 0;
  let gap = -1;
  let i = start;
  if (i < end && b[i] === 58) {
    if (i + 1 >= end || b[i + 1] !== 58) return false;
    gap = 0;
    i += 2;
  }
  while (i < end) {
    let v = 0;
    let digits = 0;
    for (; i < end; i++) {
      const d = HEX[b[i]!]!;
      if (d < 0) break;
      v = v * 16 + d;
      digits++;
    }
    if (digits === 0 || digits > 4 || n === 8) return false;
    g[n++] = v;
    if (i === end) break;
    if (b[i] !== 58) return false;
    i++;
    if (i < end && b[i] === 58) {
      if (gap >= 0) return false;
      gap = n;
      i++;
    } else if (i === end) return false;
  }
  if (gap < 0 ? n !== 8 : n > 7) return false;
  if (gap >= 0) {
    const fill = 8 - n;
    for (let k = n - 1; k >= gap; k--) g[k + fill] = g[k]!;
    for (let k = gap; k < gap + fill; k++) g[k] = 0;
  }
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) return false;
  for (let k = 0; k < 4; k++) out[k] = (g[2 * k]! << 16) | g[2 * k + 1]!;
  return true;
}

/** The four words' masks of an IPv6 prefix. */
const ip6MaskOf = (prefix: number) =>
  Int32Array.from([0, 1, 2, 3], (k) => {
    const bits = Math.max(0, Math.min(32, prefix - 32 * k));
    return bits === 0 ? 0 : bits === 32 ? -1 : ~((1 << (32 - bits)) - 1);
  });

/**
 * An X-Forwarded-For hop as an address: proxies write `ip:port` and `[v6]:port` as well as bare addresses
 * (RFC 7239 style); the port is no part of the client.
 */
function hopAddress(hop: string): string | null {
  if (hop.startsWith('[')) {
    const close = hop.indexOf(']');
    if (close < 0 || (close + 1 < hop.length && !/^:\d{1,5}$/.test(hop.slice(close + 1)))) return null;
    return canonicalAddress(hop.slice(1, close));
  }
  const colon = hop.indexOf(':');
  if (colon > 0 && colon === hop.lastIndexOf(':')) return /^\d{1,5}$/.test(hop.slice(colon + 1)) ? canonicalAddress(hop.slice(0, colon)) : null;
  return canonicalAddress(hop);
}

/** A client with more requests than a count holds: refused rather than counted wrong. */
const overflow = (key: string) => errors.countOverflow(key, MAX_COUNT);

const KEY_BYTES = Buffer.alloc(64);
/** The row of a new client's line that the table did not admit (see `admitting`). */
const REFUSED = -3;

/**
 * A key as one flat string of its own: keys made by joining and slicing (ipaddr's IPv6 text, `${a}.${b}`) are
 * trees of parts or slices of longer strings, about three times the memory for a million clients.
 */
function flatKey(key: string): string {
  // Keys are canonical addresses and networks: ASCII, at most 49 characters.
  if (key.length > KEY_BYTES.length) return key;
  return KEY_BYTES.toString('latin1', 0, KEY_BYTES.write(key, 0, 'latin1'));
}

/** Puts (hash, row) into the first free slot from the hash's own. */
function place(slots: Int32Array, h: number, row: number): void {
  const mask = (slots.length >> 1) - 1;
  let i = h & mask;
  while (slots[2 * i + 1]! >= 0) i = (i + 1) & mask;
  slots[2 * i] = h;
  slots[2 * i + 1] = row;
}

function sameText(s: string, buf: Uint8Array, start: number, end: number): boolean {
  if (s.length !== end - start) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== buf[start + i]) return false;
  return true;
}

export class ClientTable {
  /** Rows in use. */
  size = 0;
  private rows: number;
  readonly keys: string[] = [];
  /** Counters, row-major: counts[row * NCOUNT + C.requests], ...; spans[row * NSPAN + C.firstTime - NCOUNT], ... */
  private counts: Uint32Array;
  private spans: Float64Array;
  private readonly distinct: DistinctSets;
  private readonly minutes: MinuteColumns;
  private readonly sampled: SampleSlots;

  /** Raw address text as the log wrote it → its row (several raw forms can share one client), or -1. */
  private readonly byRaw = new Map<string, number>();
  /**
   * Client key → row: an open-addressing table of (hash of the key, row) pairs, -1 for a free slot; null until
   * needed (a table read only to be merged into another never needs it). A Map of half a million strings cost
   * ~1 µs a lookup here (several cache misses a key); this costs about one, and the key is compared only when
   * the hash matches.
   */
  private keySlots: Int32Array | null = new Int32Array(2 << 10).fill(-1);
  private keyCount = 0;
  private readonly byHash = new Map<number, { raw: string; row: number }>();
  /** Plain dotted quads (most clients), by their 32-bit value: an open-addressing table of rows. */
  private ip4Keys = new Int32Array(1 << 12);
  private ip4Rows = new Int32Array(1 << 12).fill(-1);
  private ip4Count = 0;
  private ip4Shift = 20;
  /** IPv6 clients by their address's bits (cut to the prefix), four words a slot: an open-addressing table of rows. */
  private ip6Words = new Int32Array(4 << 10);
  private ip6Rows = new Int32Array(1 << 10).fill(-1);
  private ip6Count = 0;
  private readonly ip6 = new Int32Array(4);
  private ip6Mask: Int32Array;
  /** The prefix IPv6 clients are counted under: the options', or a shorter one under pressure (see coarsen). */
  private ipv6Prefix: number;
  /**
   * Whether a line of a client not yet in the table makes its row. A live window under pressure says no (see
   * live/window.ts): such a line is `refused`, its client known clients' lines still counted.
   */
  admitting = true;
  /** Lines refused while not admitting. */
  refused = 0;
  /**
   * Path classes, and whether a query may hold a payload (PATH_PAYLOAD or 0), by hash; made at the first line
   * added (640 KB each: a table read from a file or merged never classifies).
   */
  private classifiers: TableClassifiers | null;
  /** Whether any proxy is trusted (then lines may belong to the client X-Forwarded-For names). */
  private readonly proxied: boolean;
  /** Raw address text → whether it is a trusted proxy (with --trusted-proxy only). */
  private readonly proxyCache = new Map<string, boolean>();
  /** Requests of all clients over time. */
  readonly overall = new Timeline(720);
  /** Lines whose client field was not an IP address (a host name, junk). */
  badAddressLines = 0;
  /** Lines left out by the operator's ignore rules. */
  ignoredLines = 0;
  private lastAgentHash = 0;
  private lastAgentFlags = 0;
  /** The operator's ignore rules (AggregateOptions.ignore), or null. */
  private readonly ignore: IgnoreMatcher | null;
  /** The ignore rules' answers by path hash and agent hash (the same paths and agents come all day). */
  private readonly ignoredPaths = new Map<number, boolean>();
  private readonly ignoredAgents = new Map<number, boolean>();

  /**
   * `rows` and `room` size the table to start with (a merge of tables whose sizes are known): room that is
   * never used costs no memory, as the pages of an array are only taken when first written.
   */
  constructor(
    private readonly opts: AggregateOptions,
    rows = 1024,
    room?: { readonly distinctInts: number; readonly minuteInts: number },
  ) {
    this.proxied = (opts.trustedProxies?.size ?? 0) > 0;
    this.ignore = opts.ignore ?? null;
    this.ipv6Prefix = opts.ipv6Prefix;
    this.ip6Mask = ip6MaskOf(opts.ipv6Prefix);
    this.classifiers = opts.classifiers ?? null;
    this.rows = rows;
    this.counts = new Uint32Array(rows * NCOUNT);
    this.spans = new Float64Array(rows * NSPAN);
    this.distinct = new DistinctSets(rows * 3, room?.distinctInts);
    this.minutes = new MinuteColumns(rows, room?.minuteInts);
    this.sampled = new SampleSlots(rows);
  }

  /**
   * A table for a reader of logs, made with room for a large log (32 k rows, 64 MB of distinct values, 32 MB of
   * minutes): the arenas then do not double and copy while the log is read (2 M lines: ~10 % fewer page
   * faults, ~4 % less time), and room never written costs no memory.
   */
  static forReading(opts: AggregateOptions): ClientTable {
    return new ClientTable(opts, 1 << 15, { distinctInts: 1 << 24, minuteInts: 1 << 23 });
  }

  /** The key index, made when first needed (slots for twice the keys, rounded up to a power of two). */
  private get index(): Int32Array {
    if (this.keySlots) return this.keySlots;
    let n = 1024;
    while (n < this.keys.length * 2) n *= 2;
    const slots = new Int32Array(2 * n).fill(-1);
    this.keys.forEach((k, row) => place(slots, hashString(k), row));
    this.keyCount = this.keys.length;
    return (this.keySlots = slots);
  }

  /** The slot of the index where a key is, or the free slot where it would go. */
  private slotFor(slots: Int32Array, key: string, h: number): number {
    const mask = (slots.length >> 1) - 1;
    for (let i = h; ; i++) {
      i &= mask;
      const row = slots[2 * i + 1]!;
      if (row < 0 || (slots[2 * i] === h && this.keys[row] === key)) return i;
    }
  }

  /** The row of a client key, or -1. */
  rowOf(key: string): number {
    const slots = this.index;
    return slots[2 * this.slotFor(slots, key, hashString(key)) + 1]!;
  }

  /** The row of a client key, made if new. */
  private rowFor(key: string): number {
    const slots = this.index;
    const h = hashString(key);
    const i = this.slotFor(slots, key, h);
    if (slots[2 * i + 1]! >= 0) return slots[2 * i + 1]!;
    if (!this.admitting) return REFUSED;
    const row = this.newRow(key);
    slots[2 * i] = h;
    slots[2 * i + 1] = row;
    if (++this.keyCount * 4 > slots.length) {
      const bigger = new Int32Array(slots.length * 2).fill(-1);
      for (let k = 0; k < slots.length; k += 2) if (slots[k + 1]! >= 0) place(bigger, slots[k]!, slots[k + 1]!);
      this.keySlots = bigger;
    }
    return row;
  }

  /** A new row for `key` (not yet in the index: rowFor puts it there); its index. */
  private newRow(key: string): number {
    key = flatKey(key);
    const row = this.size++;
    if (row === this.rows) this.growRows();
    this.keys.push(key);
    this.spans[row * NSPAN + C.firstTime - NCOUNT] = Infinity;
    this.spans[row * NSPAN + C.agentMin - NCOUNT] = Infinity;
    this.spans[row * NSPAN + C.crawlerMin - NCOUNT] = Infinity;
    this.spans[row * NSPAN + C.lastTime - NCOUNT] = -Infinity;
    return row;
  }

  private growRows(): void {
    const rows = Math.max(16, this.rows * 2);
    this.counts = grown(this.counts, rows * NCOUNT);
    this.spans = grown(this.spans, rows * NSPAN);
    this.distinct.reserve(rows * 3);
    this.minutes.reserve(rows);
    this.sampled.reserve(rows);
    this.rows = rows;
  }

  /**
   * Counts IPv6 clients not yet in the table per network of `prefix` bits from now on (a live window under
   * pressure: one host of a /64 rotating its addresses is one client). Clients already counted keep their rows.
   */
  coarsen(prefix: number): void {
    if (prefix >= this.ipv6Prefix) return;
    this.ipv6Prefix = prefix;
    this.ip6Mask = ip6MaskOf(prefix);
    this.byRaw.clear();
    this.byHash.clear();
  }

  /** The client of a key, as detection reads it. */
  get(key: string): ClientStats | undefined {
    const row = this.rowOf(key);
    return row < 0 ? undefined : new ClientRow(this, row);
  }

  /** Every client, in row order. */
  clients(): ClientStats[] {
    const out: ClientStats[] = new Array(this.size);
    for (let r = 0; r < this.size; r++) out[r] = new ClientRow(this, r);
    return out;
  }

  num(row: number, c: Counter): number {
    const i = C[c];
    return i < NCOUNT ? this.counts[row * NCOUNT + i]! : this.spans[row * NSPAN + i - NCOUNT]!;
  }

  peak(row: number): number {
    return this.minutes.peakOf(row);
  }

  activeMinutes(row: number): number {
    return this.minutes.size(row);
  }

  /** The most requests of a client in any `window` consecutive minutes. */
  peakOver(row: number, window: number): number {
    if (window <= 1) return this.minutes.peakOf(row);
    return this.minutes.windowPeak(row, window);
  }

  distinctCount(row: number, set: 0 | 1 | 2): number {
    return this.distinct.count(row * 3 + set);
  }

  forEachMinute(row: number, fn: (minute: number, count: number) => void): void {
    this.minutes.forEach(row, fn);
  }

  /** A client's requests over time, for charts. */
  timeline(row: number): Timeline | null {
    if (this.minutes.size(row) === 0) return null;
    const t = new Timeline();
    this.minutes.forEach(row, (m, c) => t.add(m, c));
    return t;
  }

  /** Up to MAX_SAMPLES lines of a client: the earliest telling ones, then the earliest others. */
  samples(row: number): string[] {
    return this.sampled.lines(row);
  }

  /** The sample lines of many rows at once (each chunk of lines read once). */
  samplesOf(rows: readonly number[]): string[][] {
    return this.sampled.linesOf(rows);
  }

  /**
   * The row of a line's client without making a string in the common case: a dotted quad is looked up by its
   * value; another field by its hash, the bytes compared with the raw text seen under it.
   */
  private lookupRecord(rec: LogRecord): number {
    if (rec.isIp4) return this.lookupIp4(rec.ip4);
    if (rec.ipBuf && parseIp6(rec.ipBuf, rec.ipStart, rec.ipEnd, this.ip6)) return this.lookupIp6(rec);
    const hit = this.byHash.get(rec.ipHash);
    if (hit && rec.ipBuf && sameText(hit.raw, rec.ipBuf, rec.ipStart, rec.ipEnd)) return hit.row;
    const raw = recordIp(rec);
    const row = this.lookupRaw(raw);
    if (!hit && row !== REFUSED) this.byHash.set(rec.ipHash, { raw, row });
    return row;
  }

  private lookupIp4(ip: number): number {
    const keys = this.ip4Keys;
    const rows = this.ip4Rows;
    const mask = keys.length - 1;
    let h = Math.imul(ip, 0x9e3779b1) >>> this.ip4Shift;
    for (;;) {
      h &= mask;
      const row = rows[h]!;
      if (row < 0) break;
      if (keys[h] === ip) return row;
      h++;
    }
    const key = `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
    const row = this.rowFor(key);
    if (row === REFUSED) return row;
    keys[h] = ip;
    rows[h] = row;
    if (++this.ip4Count * 2 > keys.length) this.growIp4();
    return row;
  }

  /** The row of the IPv6 address parsed into `this.ip6` (no string made but for a new client's key). */
  private lookupIp6(rec: LogRecord): number {
    const w = this.ip6;
    const mask = this.ip6Mask;
    for (let k = 0; k < 4; k++) w[k] = w[k]! & mask[k]!;
    const words = this.ip6Words;
    const rows = this.ip6Rows;
    const slots = rows.length - 1;
    let h = ip6Slot(w);
    for (; ; h++) {
      h &= slots;
      const row = rows[h]!;
      if (row < 0) break;
      if (words[4 * h] === w[0] && words[4 * h + 1] === w[1] && words[4 * h + 2] === w[2] && words[4 * h + 3] === w[3]) return row;
    }
    const raw = recordIp(rec);
    const canonical = canonicalAddress(raw);
    if (canonical === null) return this.lookupRaw(raw);
    const key = clientKey(canonical, this.ipv6Prefix);
    const row = this.rowFor(key);
    if (row === REFUSED) return row;
    words.set(w, 4 * h);
    rows[h] = row;
    if (++this.ip6Count * 2 > rows.length) this.growIp6();
    return row;
  }

  private growIp6(): void {
    const oldWords = this.ip6Words;
    const oldRows = this.ip6Rows;
    this.ip6Words = new Int32Array(oldWords.length * 2);
    this.ip6Rows = new Int32Array(oldRows.length * 2).fill(-1);
    this.ip6Count = 0;
    const w = this.ip6;
    for (let i = 0; i < oldRows.length; i++) {
      if (oldRows[i]! < 0) continue;
      const words = this.ip6Words;
      const rows = this.ip6Rows;
      const slots = rows.length - 1;
      for (let k = 0; k < 4; k++) w[k] = oldWords[4 * i + k]!;
      let h = ip6Slot(w);
      while (rows[h & slots]! >= 0) h++;
      h &= slots;
      words.set(w, 4 * h);
      rows[h] = oldRows[i]!;
      this.ip6Count++;
    }
  }

  private growIp4(): void {
    const oldKeys = this.ip4Keys;
    const oldRows = this.ip4Rows;
    const keys = new Int32Array(oldKeys.length * 2);
    const rows = new Int32Array(oldKeys.length * 2).fill(-1);
    const mask = keys.length - 1;
    const shift = 32 - Math.log2(keys.length);
    for (let i = 0; i < oldKeys.length; i++) {
      if (oldRows[i]! < 0) continue;
      let h = Math.imul(oldKeys[i]!, 0x9e3779b1) >>> shift;
      while (rows[h]! >= 0) h = (h + 1) & mask;
      keys[h] = oldKeys[i]!;
      rows[h] = oldRows[i]!;
    }
    this.ip4Keys = keys;
    this.ip4Rows = rows;
    this.ip4Shift = shift;
  }

  private lookupRaw(raw: string): number {
    const known = this.byRaw.get(raw);
    if (known !== undefined) return known;
    const canonical = canonicalAddress(raw);
    const row =
      canonical === null
        ? -1
        : (() => {
            const key = clientKey(canonical, this.ipv6Prefix);
            return this.rowFor(key);
          })();
    if (row !== REFUSED) this.byRaw.set(raw, row);
    return row;
  }

  /** Whether a raw address is one of the trusted proxies. */
  private trusted(raw: string): boolean {
    let known = this.proxyCache.get(raw);
    if (known === undefined) {
      const canonical = canonicalAddress(raw);
      known = canonical !== null && this.opts.trustedProxies!.has(canonical);
      if (this.proxyCache.size > 100_000) this.proxyCache.clear();
      this.proxyCache.set(raw, known);
    }
    return known;
  }

  /** The row of a line that came through a trusted proxy: the client X-Forwarded-For names; else -2. */
  private forwardedRow(rec: LogRecord): number {
    if (!this.trusted(recordIp(rec))) return -2;
    const hops = recordForwardedFor(rec).split(',');
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hopAddress(hops[i]!.trim());
      if (hop === null) return -2;
      if (!this.trusted(hop)) return this.lookupRaw(hop);
    }
    return -2;
  }

  /** Whether a line is the operator's own automation (--ignore-path, --ignore-agent). */
  private ignored(rec: LogRecord, ignore: IgnoreMatcher): boolean {
    let p = this.ignoredPaths.get(rec.pathHash);
    if (p === undefined) {
      if (this.ignoredPaths.size > 100_000) this.ignoredPaths.clear();
      this.ignoredPaths.set(rec.pathHash, (p = ignore.path(recordPath(rec))));
    }
    if (p || rec.agentHash === 0) return p;
    let a = this.ignoredAgents.get(rec.agentHash);
    if (a === undefined) {
      if (this.ignoredAgents.size > 100_000) this.ignoredAgents.clear();
      this.ignoredAgents.set(rec.agentHash, (a = ignore.agent(unescapeLogged(recordAgent(rec)))));
    }
    return a;
  }

  /** Adds one parsed line. Returns false when its client field is not an address. */
  add(rec: LogRecord, line: Buffer, start: number, end: number): boolean {
    const ignore = this.ignore;
    if (ignore !== null && this.ignored(rec, ignore)) {
      this.ignoredLines++;
      return true;
    }
    let row = -2;
    if (this.proxied) row = this.forwardedRow(rec);
    if (row === -2) row = this.lookupRecord(rec);
    if (row < 0) {
      if (row === REFUSED) {
        this.refused++;
        return true;
      }
      this.badAddressLines++;
      return false;
    }
    const nums = this.counts;
    const at = row * NCOUNT;
    const spans = this.spans;
    const sa = row * NSPAN;
    if (nums[at + C.requests] === MAX_COUNT) throw overflow(this.keys[row]!);
    nums[at + C.requests]!++;
    const method = rec.method;
    if (method === Method.Post) nums[at + C.post]!++;
    else if (method === Method.Head) nums[at + C.head]!++;
    else if (method === Method.Other) nums[at + C.otherMethod]!++;
    else if (method === Method.Invalid) nums[at + C.invalidRequest]!++;
    const s = rec.status;
    if (s >= 400 && s < 500) {
      nums[at + C.status4xx]!++;
      if (s === 404) nums[at + C.status404]!++;
    } else if (s >= 500 && s < 600) nums[at + C.status5xx]!++;
    else if (s >= 200 && s < 300) nums[at + C.status2xx]!++;
    else if (s >= 300 && s < 400) nums[at + C.status3xx]!++;
    const classifiers = (this.classifiers ??= tableClassifiers());
    let flags = classifiers.paths.cached(rec.pathHash);
    if (flags < 0) flags = classifiers.paths.classify(rec.pathHash, recordPath(rec), classifyPath);
    if (flags & PATH_STATIC) nums[at + C.staticHits]!++;
    if (flags & PATH_SENSITIVE) nums[at + C.sensitiveHits]!++;
    if (flags & PATH_WELL_KNOWN && s >= 400 && s < 500) nums[at + C.wellKnownMisses]!++;
    const sets = row * 3;
    this.distinct.add(sets + PATHS, rec.pathHash);
    if (rec.queryHash !== 0) {
      nums[at + C.withQuery]!++;
      this.distinct.add(sets + QUERIES, rec.queryHash);
      // Most queries (cache-busting ones among them) hold nothing to look at: no string, no cache slot.
      if (rec.queryBuf === null || mayHoldQueryIntent(rec.queryBuf, rec.queryStart, rec.queryEnd)) {
        let q = classifiers.queries.cached(rec.queryHash);
        if (q < 0) q = classifiers.queries.classify(rec.queryHash, recordQuery(rec), classifyQuery);
        flags |= q;
      }
    }
    // Intent in the headers too: the same classes whatever the log's format (each value cached by its hash).
    if (rec.agentHash !== 0) {
      // A page and its assets come with one agent: the last one's classes are kept at hand.
      let a = this.lastAgentFlags;
      if (rec.agentHash !== this.lastAgentHash) {
        a = this.lastAgentFlags = headerFlags(classifiers.agents, rec.agentHash, () => recordAgent(rec), classifyAgent);
        this.lastAgentHash = rec.agentHash;
      }
      if (a & AGENT_CRAWLER) {
        nums[at + C.crawlerClaims]!++;
        // The crawler it names, the first in SEARCH_CRAWLERS' order when it names several over time.
        const named = crawlerIndexOf(a);
        if (named < spans[sa + C.crawlerMin - NCOUNT]!) spans[sa + C.crawlerMin - NCOUNT] = named;
      }
      flags |= a & (PATH_EXPLOIT | PATH_SCANNER);
    }
    // Referers and forwarded-for values: only those holding a character an injection needs (most hold none).
    if (rec.hasReferer) flags |= urlHeaderFlags(classifiers.headers, rec.refererBuf, rec.refererStart, rec.refererEnd, rec.refererText);
    flags |= urlHeaderFlags(classifiers.headers, rec.xffBuf, rec.xffStart, rec.xffEnd, rec.xffText);
    if (flags & PATH_PAYLOAD) nums[at + C.payloadHits]!++;
    if (flags & PATH_EXPLOIT) nums[at + C.exploitHits]!++;
    if (flags & PATH_SCANNER) nums[at + C.scannerHits]!++;
    const failed = s >= 400 && s < 500;
    // A redirect is left out: an admin panel redirects its own users after every action as well.
    if (flags & PATH_SENSITIVE && (failed || flags & PATH_PAYLOAD)) {
      nums[at + C.sensitiveFails]!++;
      const m = sa + C.probeMask - NCOUNT;
      spans[m] = (spans[m]! | probeBit(rec.pathHash)) >>> 0;
    }
    // Authentication: an attempt is a POST to an authentication target, or a login, admin or secret place
    // answering 401/403/429 (HTTP authentication refused, or a limit hit). An API answering 401 to an expired
    // token is no login attempt.
    const auth = flags & (PATH_AUTH_FORM | PATH_AUTH_TOKEN);
    const refused = s === 401 || s === 403 || s === 429 || ((s === 400 || s === 422) && auth !== 0);
    if ((auth !== 0 && method === Method.Post) || ((auth !== 0 || flags & PATH_SENSITIVE) && refused)) {
      nums[at + C.authRequests]!++;
      if (refused || (flags & PATH_AUTH_FORM && method === Method.Post && s >= 200 && s < 300)) nums[at + C.authFails]!++;
      if (flags & PATH_AUTH_FORM && method === Method.Post) nums[at + C.formLoginPosts]!++;
    }
    if (rec.hasReferer) nums[at + C.withReferer]!++;
    if (rec.agentHash !== 0) {
      this.distinct.add(sets + AGENTS, rec.agentHash);
      const agent = rec.agentHash >>> 0;
      if (agent < spans[sa + C.agentMin - NCOUNT]!) spans[sa + C.agentMin - NCOUNT] = agent;
    }
    spans[sa]! += rec.bytes;
    const time = rec.time;
    if (time < spans[sa + C.firstTime - NCOUNT]!) spans[sa + C.firstTime - NCOUNT] = time;
    if (time > spans[sa + C.lastTime - NCOUNT]!) spans[sa + C.lastTime - NCOUNT] = time;
    this.minutes.add(row, rec.minute);
    this.overall.add(rec.minute);
    const telling =
      (flags & (PATH_SENSITIVE | PATH_PAYLOAD | PATH_EXPLOIT | PATH_SCANNER)) !== 0 || s >= 400 || method === Method.Post || method === Method.Invalid;
    this.offerLine(row, telling ? 0 : 1, time, line, start, end);
    return true;
  }

  /** Offers a line as a sample of its kind (0 telling, 1 other); hashed only when it may be kept. */
  private offerLine(row: number, kind: number, time: number, line: Buffer, start: number, end: number): void {
    if (this.sampled.tooLate(row, kind, time)) return;
    this.sampled.offer(row, kind, time, line, start, Math.min(end, start + SAMPLE_BYTES));
  }

  /** Merges another table (of other lines) into this one: exact, in any order. */
  merge(other: ClientTable): void {
    for (let r = 0; r < other.size; r++) {
      const key = other.keys[r]!;
      const row = this.rowFor(key);
      const a = row * NCOUNT;
      const b = r * NCOUNT;
      const counts = this.counts;
      const theirs = other.counts;
      if (counts[a + C.requests]! + theirs[b + C.requests]! > MAX_COUNT) throw overflow(key);
      for (let k = 0; k < NCOUNT; k++) counts[a + k] = counts[a + k]! + theirs[b + k]!;
      const sa = row * NSPAN;
      const sb = r * NSPAN;
      const spans = this.spans;
      const them = other.spans;
      spans[sa] = spans[sa]! + them[sb]!;
      spans[sa + 1] = Math.min(spans[sa + 1]!, them[sb + 1]!);
      spans[sa + 2] = Math.max(spans[sa + 2]!, them[sb + 2]!);
      spans[sa + 3] = Math.min(spans[sa + 3]!, them[sb + 3]!);
      spans[sa + 4] = Math.min(spans[sa + 4]!, them[sb + 4]!);
      spans[sa + 5] = (spans[sa + 5]! | them[sb + 5]!) >>> 0;
      for (let k = 0; k < 3; k++) this.distinct.mergeFrom(row * 3 + k, other.distinct, r * 3 + k);
      this.minutes.mergeFrom(row, other.minutes, r);
      this.sampled.mergeFrom(row, other.sampled, r);
    }
    this.sampled.endMerge();
    this.badAddressLines += other.badAddressLines;
    this.ignoredLines += other.ignoredLines;
    this.overall.merge(other.overall);
  }

  /** The table as flat arrays, for another thread; `fromParts` makes the table again. */
  parts(): TableParts {
    const n = this.size;
    return {
      keys: this.keys,
      counts: this.counts.slice(0, n * NCOUNT),
      spans: this.spans.slice(0, n * NSPAN),
      distinct: this.distinct.parts(n * 3),
      minutes: this.minutes.parts(n),
      samples: this.sampled.parts(n),
      overall: this.overall,
      badAddressLines: this.badAddressLines,
      ignoredLines: this.ignoredLines,
    };
  }

  /** A table over the arrays as they are (not copied): a table read from a file or handed over by a thread. */
  static fromParts(p: TableParts, opts: AggregateOptions): ClientTable {
    const n = p.keys.length;
    const t = new ClientTable(opts, 16, { distinctInts: 16, minuteInts: 16 });
    t.size = n;
    t.rows = n;
    for (const k of p.keys) t.keys.push(k); // not push(...keys): a million arguments overflow the stack
    t.keySlots = null;
    t.counts = p.counts;
    t.spans = p.spans;
    (t as unknown as { distinct: DistinctSets }).distinct = DistinctSets.fromParts(p.distinct);
    (t as unknown as { minutes: MinuteColumns }).minutes = MinuteColumns.fromParts(p.minutes);
    (t as unknown as { sampled: SampleSlots }).sampled = SampleSlots.fromParts(p.samples);
    Object.setPrototypeOf(p.overall, Timeline.prototype);
    t.overall.merge(p.overall);
    t.badAddressLines = p.badAddressLines;
    t.ignoredLines = p.ignoredLines ?? 0;
    return t;
  }

  /** The buffers of parts that move to the other thread rather than being copied. */
  static transferList(p: TableParts): ArrayBuffer[] {
    return [
      p.counts,
      p.spans,
      p.distinct.ints,
      p.distinct.off,
      p.distinct.cap,
      p.distinct.n,
      p.distinct.last,
      p.minutes.ints,
      p.minutes.off,
      p.minutes.cap,
      p.minutes.n,
      p.minutes.peak,
      p.samples.time,
      p.samples.hash,
      p.samples.hash2,
      p.samples.place,
      p.samples.len,
      p.samples.count,
      p.samples.chunks,
      p.samples.bytes,
    ].map((a) => a.buffer as ArrayBuffer);
  }
}

/** The sample lines of many clients: the rows of one table are read together (each chunk of lines once). */
export function samplesOfClients(clients: readonly ClientStats[]): string[][] {
  const out: string[][] = new Array(clients.length);
  const byTable = new Map<ClientTable, number[]>();
  clients.forEach((c, i) => {
    if (c instanceof ClientRow) {
      const list = byTable.get(c.table) ?? [];
      byTable.set(c.table, list);
      list.push(i);
    } else out[i] = [...c.samples];
  });
  for (const [table, at] of byTable) table.samplesOf(at.map((i) => (clients[i] as ClientRow).row)).forEach((lines, k) => (out[at[k]!] = lines));
  return out;
}

/**
 * The indices of `clients` in the order their rows lie in their table (when they are distinct rows of one
 * table; else as given): a million clients read in address order miss the cache at every counter, in row
 * order the counters stream.
 */
export function rowOrder(clients: readonly ClientStats[]): Int32Array {
  const n = clients.length;
  const out = new Int32Array(n);
  const first = clients[0];
  const table = first instanceof ClientRow ? first.table : null;
  if (table && clients.every((c) => c instanceof ClientRow && c.table === table)) {
    const byRow = new Int32Array(table.size).fill(-1);
    for (let i = 0; i < n; i++) byRow[(clients[i] as ClientRow).row] = i;
    let k = 0;
    for (let r = 0; r < byRow.length && k < n; r++) if (byRow[r]! >= 0) out[k++] = byRow[r]!;
    if (k === n) return out;
  }
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

class FixedCount implements Countable {
  constructor(private readonly n: number) {}
  count(): number {
    return this.n;
  }
}

/** A row of the table, read where it lies. */
export class ClientRow implements ClientStats {
  constructor(
    readonly table: ClientTable,
    readonly row: number,
  ) {}

  get key(): string {
    return this.table.keys[this.row]!;
  }
  get requests(): number {
    return this.table.num(this.row, 'requests');
  }
  get post(): number {
    return this.table.num(this.row, 'post');
  }
  get head(): number {
    return this.table.num(this.row, 'head');
  }
  get otherMethod(): number {
    return this.table.num(this.row, 'otherMethod');
  }
  get invalidRequest(): number {
    return this.table.num(this.row, 'invalidRequest');
  }
  get status2xx(): number {
    return this.table.num(this.row, 'status2xx');
  }
  get status3xx(): number {
    return this.table.num(this.row, 'status3xx');
  }
  get status4xx(): number {
    return this.table.num(this.row, 'status4xx');
  }
  get status404(): number {
    return this.table.num(this.row, 'status404');
  }
  get status5xx(): number {
    return this.table.num(this.row, 'status5xx');
  }
  get staticHits(): number {
    return this.table.num(this.row, 'staticHits');
  }
  get sensitiveHits(): number {
    return this.table.num(this.row, 'sensitiveHits');
  }
  get payloadHits(): number {
    return this.table.num(this.row, 'payloadHits');
  }
  get wellKnownMisses(): number {
    return this.table.num(this.row, 'wellKnownMisses');
  }
  get exploitHits(): number {
    return this.table.num(this.row, 'exploitHits');
  }
  get scannerHits(): number {
    return this.table.num(this.row, 'scannerHits');
  }
  get sensitiveFails(): number {
    return this.table.num(this.row, 'sensitiveFails');
  }
  get authRequests(): number {
    return this.table.num(this.row, 'authRequests');
  }
  get authFails(): number {
    return this.table.num(this.row, 'authFails');
  }
  get formLoginPosts(): number {
    return this.table.num(this.row, 'formLoginPosts');
  }
  get crawlerClaims(): number {
    return this.table.num(this.row, 'crawlerClaims');
  }
  get withQuery(): number {
    return this.table.num(this.row, 'withQuery');
  }
  get withReferer(): number {
    return this.table.num(this.row, 'withReferer');
  }
  get bytes(): number {
    return this.table.num(this.row, 'bytes');
  }
  get firstTime(): number {
    return this.table.num(this.row, 'firstTime');
  }
  get lastTime(): number {
    return this.table.num(this.row, 'lastTime');
  }
  get crawler(): number {
    const c = this.table.num(this.row, 'crawlerMin');
    return Number.isFinite(c) ? c : -1;
  }
  get probePaths(): number {
    return Math.min(probePathsOf(this.table.num(this.row, 'probeMask')), this.sensitiveFails);
  }
  get agentId(): number {
    const a = this.table.num(this.row, 'agentMin');
    return Number.isFinite(a) && this.table.distinctCount(this.row, AGENTS) === 1 ? a : 0;
  }
  get peakPerMinute(): number {
    return this.table.peak(this.row);
  }
  get activeMinutes(): number {
    return this.table.activeMinutes(this.row);
  }
  peakOver(minutes: number): number {
    return this.table.peakOver(this.row, minutes);
  }
  forEachMinute(fn: (minute: number, count: number) => void): void {
    this.table.forEachMinute(this.row, fn);
  }
  get paths(): Countable {
    return new FixedCount(this.table.distinctCount(this.row, PATHS));
  }
  get queries(): Countable {
    return new FixedCount(this.table.distinctCount(this.row, QUERIES));
  }
  get agents(): Countable {
    return new FixedCount(this.table.distinctCount(this.row, AGENTS));
  }
  get timeline(): Timeline | null {
    return this.table.timeline(this.row);
  }
  get samples(): readonly string[] {
    return this.table.samples(this.row);
  }
}
