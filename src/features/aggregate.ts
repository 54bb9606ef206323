/**
 * The per-client table, built while the log streams past. Each client costs a fixed number of counters, two
 * bounded distinct counters and at most a few sample lines, whatever the number of its lines. Aggregates
 * merge, so tables built by workers or on other machines can be combined.
 */
import { canonicalAddress, clientKey } from '../core/address.js';
import { closeSync, openSync, readSync } from 'node:fs';
import { hashBytes, Method, recordIp, recordPath, type LogRecord } from '../logs/parse.js';

function sameText(s: string, buf: Uint8Array, start: number, end: number): boolean {
  if (s.length !== end - start) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== buf[start + i]) return false;
  return true;
}
import { DistinctCounter, packedCount, SKETCH_REGISTERS, WordList } from './sketch.js';
import { PATH_SENSITIVE, PATH_STATIC, PathClassifier } from './classify.js';
import { Timeline } from './timeline.js';

export const MAX_SAMPLES = 5;

/** Aggregates packed for another thread (ClientAggregate.pack, or the native reader). */
export interface PackedClients {
  readonly keys: string[];
  /** What the numbers of each client in `nums` are (NUMERIC_FIELDS when absent). */
  readonly fields?: readonly string[];
  readonly nums: Float64Array;
  readonly words: Int32Array;
  /** Each client's sample lines, or their UTF-8 bytes end to end (as the native reader gives them). */
  readonly samples: string[][] | PackedSamples;
}

/** Sample lines as places in plain log files (the native reader keeps no text), read back when asked for. */
export interface PackedSamples {
  readonly files: readonly string[];
  /** Index into `files` of each sample. */
  readonly fileOf: Int32Array;
  /** File offset, byte length and hashBytes of each sample, in order. */
  readonly offsets: Float64Array;
  readonly lengths: Int32Array;
  readonly hashes: Int32Array;
  /** Number of samples of each client. */
  readonly counts: Uint8Array;
}
const SAMPLE_CHARS = 400;
const TIMELINE_FROM = 5;

/** Something that counts distinct values. */
export interface Countable {
  count(): number;
}

/**
 * What detection and the report read of a client: a ClientAggregate, or a PackedClient read in place from
 * the native reader's arrays.
 */
export interface ClientStats {
  readonly key: string;
  readonly requests: number;
  readonly post: number;
  readonly otherMethod: number;
  readonly invalidRequest: number;
  readonly status2xx: number;
  readonly status3xx: number;
  readonly status4xx: number;
  readonly status404: number;
  readonly status5xx: number;
  readonly staticHits: number;
  readonly sensitiveHits: number;
  readonly withQuery: number;
  readonly bytes: number;
  readonly firstTime: number;
  readonly lastTime: number;
  readonly peakPerMinute: number;
  readonly paths: Countable;
  readonly queries: Countable;
  readonly agents: Countable;
  readonly timeline: Timeline | null;
  readonly samples: readonly string[];
}

export class ClientAggregate {
  requests = 0;
  post = 0;
  otherMethod = 0;
  invalidRequest = 0;
  status2xx = 0;
  status3xx = 0;
  status4xx = 0;
  status404 = 0;
  status5xx = 0;
  staticHits = 0;
  sensitiveHits = 0;
  withQuery = 0;
  bytes = 0;
  firstTime = Infinity;
  lastTime = -Infinity;
  peakPerMinute = 0;
  readonly paths = new DistinctCounter();
  readonly queries = new DistinctCounter();
  readonly agents = new DistinctCounter();
  /** Sample lines, decoded from `sampleStore` on first use when they came packed (see unpack). */
  private sampleList: string[] | null = [];
  private sampleStore: SampleStore | null = null;
  private sampleClient = 0;
  /** Requests over time, kept once a client has a few requests (fewer never reach a chart). */
  timeline: Timeline | null = null;
  /** How many of `samples` are lines that show intent (sensitive path, error status, POST). */
  private telling = 0;
  // The last MINUTE_SLOTS (3) minutes seen and their counts: a few tolerate lines a little out of time order.
  private m0 = -1;
  private m1 = -1;
  private m2 = -1;
  private c0 = 0;
  private c1 = 0;
  private c2 = 0;
  /** The first minute seen and its count, so that a table of the next stretch of log can be merged exactly. */
  private firstMinute = -1;
  private firstMinuteCount = 0;

  constructor(readonly key: string) {}

  /** Up to MAX_SAMPLES lines of this client, telling ones (see keepSample) first. */
  get samples(): string[] {
    if (this.sampleList === null) {
      this.sampleList = this.sampleStore!.lines(this.sampleClient);
      this.sampleStore = null;
    }
    return this.sampleList;
  }

  set samples(lines: string[]) {
    this.sampleList = lines;
    this.sampleStore = null;
  }

  /** The NUMERIC_FIELDS, in order, from nums[at..]. */
  private setNumbers(n: Float64Array, at: number): void {
    this.requests = n[at]!;
    this.post = n[at + 1]!;
    this.otherMethod = n[at + 2]!;
    this.invalidRequest = n[at + 3]!;
    this.status2xx = n[at + 4]!;
    this.status3xx = n[at + 5]!;
    this.status4xx = n[at + 6]!;
    this.status404 = n[at + 7]!;
    this.status5xx = n[at + 8]!;
    this.staticHits = n[at + 9]!;
    this.sensitiveHits = n[at + 10]!;
    this.withQuery = n[at + 11]!;
    this.bytes = n[at + 12]!;
    this.firstTime = n[at + 13]!;
    this.lastTime = n[at + 14]!;
    this.peakPerMinute = n[at + 15]!;
    this.telling = n[at + 16]!;
    this.m0 = n[at + 17]!;
    this.m1 = n[at + 18]!;
    this.m2 = n[at + 19]!;
    this.c0 = n[at + 20]!;
    this.c1 = n[at + 21]!;
    this.c2 = n[at + 22]!;
    this.firstMinute = n[at + 23]!;
    this.firstMinuteCount = n[at + 24]!;
  }

  countMinute(minute: number): void {
    if (this.firstMinute < 0) this.firstMinute = minute;
    if (minute === this.firstMinute) this.firstMinuteCount++;
    let c: number;
    if (minute === this.m0) c = ++this.c0;
    else if (minute === this.m1) c = ++this.c1;
    else if (minute === this.m2) c = ++this.c2;
    else {
      // Replace the oldest slot.
      if (this.m0 <= this.m1 && this.m0 <= this.m2) {
        this.m0 = minute;
        c = this.c0 = 1;
      } else if (this.m1 <= this.m2) {
        this.m1 = minute;
        c = this.c1 = 1;
      } else {
        this.m2 = minute;
        c = this.c2 = 1;
      }
    }
    if (c > this.peakPerMinute) this.peakPerMinute = c;
  }

  private slotCount(minute: number): number {
    return minute === this.m0 ? this.c0 : minute === this.m1 ? this.c1 : minute === this.m2 ? this.c2 : -1;
  }

  /** Keeps the line as a sample if there is room, or if it shows intent and a plain sample can make way. */
  keepSample(line: Buffer, start: number, end: number, telling: boolean): void {
    const full = this.samples.length >= MAX_SAMPLES;
    if (full && (!telling || this.telling >= MAX_SAMPLES)) return;
    const text = line.toString('utf8', start, Math.min(end, start + SAMPLE_CHARS));
    // Telling lines go first so that they survive; plain ones fill from the end.
    if (full) this.samples[this.telling++] = text;
    else if (telling) this.samples.splice(this.telling++, 0, text);
    else this.samples.push(text);
  }

  /**
   * Packs aggregates into a few flat arrays for another thread: numbers, 32-bit words (distinct counters and
   * timelines) and the sample lines. A structured clone of the objects themselves costs several times more.
   */
  static pack(clients: readonly ClientAggregate[]): PackedClients {
    const nums = new Float64Array(clients.length * NUMERIC_FIELDS.length);
    const words = new WordList();
    const keys: string[] = [];
    const samples: string[][] = [];
    clients.forEach((c, i) => {
      const rec = c as unknown as Record<string, number>;
      for (let f = 0; f < NUMERIC_FIELDS.length; f++) nums[i * NUMERIC_FIELDS.length + f] = rec[NUMERIC_FIELDS[f]!]!;
      c.paths.packInto(words);
      c.queries.packInto(words);
      c.agents.packInto(words);
      const t = c.timeline;
      if (!t) words.push(-1);
      else {
        words.push(t.start);
        words.push(t.width);
        words.push(t.buckets);
        for (let b = 0; b < t.buckets; b++) words.push(t.counts[b]!);
      }
      keys.push(c.key);
      samples.push(c.samples);
    });
    return { keys, nums, words: words.take(), samples };
  }

  static unpack(p: PackedClients): ClientAggregate[] {
    const out: ClientAggregate[] = [];
    let at = 0;
    const w = p.words;
    const fields = p.fields ?? NUMERIC_FIELDS;
    const inOrder = fields.length === NUMERIC_FIELDS.length && fields.every((f, i) => f === NUMERIC_FIELDS[i]);
    const store = Array.isArray(p.samples) ? null : new SampleStore(p.samples);
    for (let i = 0; i < p.keys.length; i++) {
      const c = new ClientAggregate(p.keys[i]!);
      const rec = c as unknown as Record<string, unknown>;
      if (inOrder) c.setNumbers(p.nums, i * fields.length);
      else for (let f = 0; f < fields.length; f++) rec[fields[f]!] = p.nums[i * fields.length + f]!;
      at = c.paths.unpackFrom(w, at);
      at = c.queries.unpackFrom(w, at);
      at = c.agents.unpackFrom(w, at);
      if (w[at]! >= 0) {
        c.timeline = packedTimeline(w, at);
        at += 3 + c.timeline.buckets;
      } else at++;
      if (store) {
        c.sampleList = null;
        c.sampleStore = store;
        c.sampleClient = i;
      } else c.samples = (p.samples as string[][])[i]!;
      out.push(c);
    }
    return out;
  }

  merge(o: ClientAggregate): void {
    const mineBefore = this.requests;
    const myFirstTime = this.firstTime;
    this.requests += o.requests;
    this.post += o.post;
    this.otherMethod += o.otherMethod;
    this.invalidRequest += o.invalidRequest;
    this.status2xx += o.status2xx;
    this.status3xx += o.status3xx;
    this.status4xx += o.status4xx;
    this.status404 += o.status404;
    this.status5xx += o.status5xx;
    this.staticHits += o.staticHits;
    this.sensitiveHits += o.sensitiveHits;
    this.withQuery += o.withQuery;
    this.bytes += o.bytes;
    this.firstTime = Math.min(this.firstTime, o.firstTime);
    this.lastTime = Math.max(this.lastTime, o.lastTime);
    // `o` is the next stretch of the same log: its first minute may continue this one's last.
    this.peakPerMinute = Math.max(this.peakPerMinute, o.peakPerMinute);
    const shared = o.firstMinute >= 0 ? this.slotCount(o.firstMinute) : -1;
    const carried = Math.max(0, shared);
    if (shared >= 0) this.peakPerMinute = Math.max(this.peakPerMinute, carried + o.firstMinuteCount);
    if (this.firstMinute < 0) {
      this.firstMinute = o.firstMinute;
      this.firstMinuteCount = o.firstMinuteCount;
    }
    if (o.firstMinute >= 0) {
      this.m0 = o.m0;
      this.m1 = o.m1;
      this.m2 = o.m2;
      this.c0 = o.c0 + (o.m0 === o.firstMinute ? carried : 0);
      this.c1 = o.c1 + (o.m1 === o.firstMinute ? carried : 0);
      this.c2 = o.c2 + (o.m2 === o.firstMinute ? carried : 0);
    }
    this.paths.merge(o.paths);
    this.queries.merge(o.queries);
    this.agents.merge(o.agents);
    // (Samples packed by the native reader are read back from their file when touched: only when there is room.)
    if (this.samples.length < MAX_SAMPLES) for (const s of o.samples) if (this.samples.length < MAX_SAMPLES) this.samples.push(s);
    if (o.timeline || this.timeline || this.requests >= TIMELINE_FROM) {
      // A side without a timeline had too few requests for one: they count at its first minute.
      if (!this.timeline) {
        this.timeline = new Timeline();
        if (mineBefore > 0) this.timeline.add(Math.floor(myFirstTime / 60000), mineBefore);
      }
      if (o.timeline) this.timeline.merge(o.timeline);
      else if (o.requests > 0) this.timeline.add(Math.floor(o.firstTime / 60000), o.requests);
    }
  }
}

/**
 * The plain number fields of an aggregate (its counters, times and minute slots) in packing order; the native
 * reader (src/native/scan.cc) writes them in this order too. test/features/aggregate.test.ts checks that it
 * names every number field of the class.
 */
export const NUMERIC_FIELDS: readonly string[] = [
  'requests', 'post', 'otherMethod', 'invalidRequest', 'status2xx', 'status3xx', 'status4xx', 'status404', 'status5xx',
  'staticHits', 'sensitiveHits', 'withQuery', 'bytes', 'firstTime', 'lastTime', 'peakPerMinute', 'telling',
  'm0', 'm1', 'm2', 'c0', 'c1', 'c2', 'firstMinute', 'firstMinuteCount',
];

/**
 * Sample lines of many clients, read back from the log file one client at a time when asked for: only the
 * clients that get flagged ever need theirs. A line the file no longer holds (it was rotated or rewritten
 * since) is left out rather than shown wrong.
 */
class SampleStore {
  /** Index of each client's first sample. */
  private readonly firstSample: Int32Array;
  private readonly buf = Buffer.alloc(SAMPLE_CHARS);

  constructor(private readonly packed: PackedSamples) {
    this.firstSample = new Int32Array(packed.counts.length + 1);
    for (let i = 0; i < packed.counts.length; i++) this.firstSample[i + 1] = this.firstSample[i]! + packed.counts[i]!;
  }

  lines(client: number): string[] {
    const p = this.packed;
    const out: string[] = [];
    const first = this.firstSample[client]!;
    const last = this.firstSample[client + 1]!;
    if (first === last) return out;
    // A client's samples usually sit in one file: it is opened once for them.
    let openFile = -1;
    let fd = -1;
    try {
      for (let k = first; k < last; k++) {
        const file = p.fileOf[k]!;
        if (file !== openFile) {
          if (fd >= 0) closeSync(fd);
          openFile = file;
          try {
            fd = openSync(p.files[file]!, 'r');
          } catch {
            fd = -1;
          }
        }
        if (fd < 0) continue;
        const len = p.lengths[k]!;
        const n = readSync(fd, this.buf, 0, len, p.offsets[k]!);
        if (n === len && hashBytes(this.buf, 0, len) === p.hashes[k]) out.push(this.buf.toString('utf8', 0, len));
      }
    } finally {
      if (fd >= 0) closeSync(fd);
    }
    return out;
  }
}

/** The timeline packed at words[at] (start, width, buckets, then the counts; see ClientAggregate.pack). */
function packedTimeline(words: Int32Array, at: number): Timeline {
  const t = new Timeline(words[at + 2]!);
  t.start = words[at]!;
  t.width = words[at + 1]!;
  t.counts.set(words.subarray(at + 3, at + 3 + t.buckets));
  return t;
}

class FixedCount implements Countable {
  constructor(private readonly n: number) {}
  count(): number {
    return this.n;
  }
}

/**
 * A table packed by the native reader, read in place: one pass finds each client's distinct counts and
 * timeline; nothing else is copied out of the arrays. 20,000 clients cost ~1 MB here, where unpacking them
 * into ClientAggregates cost ~35 MB and a tenth of a second.
 */
class PackedTable {
  readonly nums: Float64Array;
  readonly words: Int32Array;
  /** paths, queries, agents counts of each client. */
  readonly counts: Float64Array;
  /** Where each client's timeline starts in `words`, or -1. */
  readonly timelineAt: Int32Array;
  readonly store: SampleStore;
  readonly clients: PackedClient[];

  constructor(p: PackedClients) {
    this.nums = p.nums;
    this.words = p.words;
    this.store = new SampleStore(p.samples as PackedSamples);
    const n = p.keys.length;
    this.counts = new Float64Array(n * 3);
    this.timelineAt = new Int32Array(n);
    const scratch = new Uint8Array(SKETCH_REGISTERS);
    const w = p.words;
    let at = 0;
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < 3; k++) {
        const r = packedCount(w, at, scratch);
        this.counts[i * 3 + k] = r.count;
        at = r.next;
      }
      this.timelineAt[i] = w[at]! >= 0 ? at : -1;
      at += w[at]! >= 0 ? 3 + w[at + 2]! : 1;
    }
    this.clients = p.keys.map((key, i) => new PackedClient(this, i, key));
  }
}

const FIELDS = NUMERIC_FIELDS.length; // in that order (fromParts checks the packed fields)

/** A client of a PackedTable: its numbers read from the table's arrays when asked for. */
export class PackedClient implements ClientStats {
  private sampleList: string[] | null = null;
  private timelineMade: Timeline | null | undefined;

  constructor(private readonly table: PackedTable, private readonly index: number, readonly key: string) {}

  // The getters' indices are positions in NUMERIC_FIELDS; test/native/scan.test.ts compares every getter
  // with what the JavaScript reader's ClientAggregate holds.
  private num(f: number): number {
    return this.table.nums[this.index * FIELDS + f]!;
  }

  get requests(): number { return this.num(0); }
  get post(): number { return this.num(1); }
  get otherMethod(): number { return this.num(2); }
  get invalidRequest(): number { return this.num(3); }
  get status2xx(): number { return this.num(4); }
  get status3xx(): number { return this.num(5); }
  get status4xx(): number { return this.num(6); }
  get status404(): number { return this.num(7); }
  get status5xx(): number { return this.num(8); }
  get staticHits(): number { return this.num(9); }
  get sensitiveHits(): number { return this.num(10); }
  get withQuery(): number { return this.num(11); }
  get bytes(): number { return this.num(12); }
  get firstTime(): number { return this.num(13); }
  get lastTime(): number { return this.num(14); }
  get peakPerMinute(): number { return this.num(15); }
  get paths(): Countable { return new FixedCount(this.table.counts[this.index * 3]!); }
  get queries(): Countable { return new FixedCount(this.table.counts[this.index * 3 + 1]!); }
  get agents(): Countable { return new FixedCount(this.table.counts[this.index * 3 + 2]!); }

  get timeline(): Timeline | null {
    if (this.timelineMade !== undefined) return this.timelineMade;
    const at = this.table.timelineAt[this.index]!;
    if (at < 0) return (this.timelineMade = null);
    return (this.timelineMade = packedTimeline(this.table.words, at));
  }

  get samples(): readonly string[] {
    return (this.sampleList ??= this.table.store.lines(this.index));
  }
}

export interface AggregateOptions {
  /** IPv6 clients are counted per network of this prefix length (128: per address). */
  readonly ipv6Prefix: number;
}

export class ClientTable {
  /** Raw address text as the log wrote it → its client (several raw forms can share one client). */
  private readonly byRaw = new Map<string, ClientAggregate | null>();
  private readonly byKey = new Map<string, ClientAggregate>();
  private readonly byHash = new Map<number, { raw: string; agg: ClientAggregate | null }>();
  /** Plain dotted quads (most clients), by their 32-bit value: an open-addressing table into `byIp4List`. */
  private ip4Keys = new Int32Array(1 << 12);
  private ip4Slots = new Int32Array(1 << 12).fill(-1);
  private ip4Count = 0;
  private ip4Shift = 20;
  private readonly byIp4List: ClientAggregate[] = [];
  private readonly classifier = new PathClassifier();
  /** Requests of all clients over time. */
  readonly overall = new Timeline(720);
  /** Lines whose client field was not an IP address (a host name, junk). */
  badAddressLines = 0;

  /** A table from the native reader, read in place until something needs ClientAggregates (see aggregates). */
  private packed: PackedTable | null = null;
  private packedParts: PackedClients | null = null;

  constructor(private readonly opts: AggregateOptions) {}

  get size(): number {
    return this.packed ? this.packed.clients.length : this.byKey.size;
  }

  clients(): IterableIterator<ClientStats> {
    return this.packed ? this.packed.clients.values() : this.byKey.values();
  }

  /** The clients as ClientAggregates (unpacking a native table first), for adding and merging. */
  private aggregates(): Map<string, ClientAggregate> {
    if (this.packed) {
      for (const c of ClientAggregate.unpack(this.packedParts!)) this.byKey.set(c.key, c);
      this.packed = null;
      this.packedParts = null;
    }
    return this.byKey;
  }

  get(key: string): ClientStats | undefined {
    return this.aggregates().get(key);
  }

  /**
   * The client of a line without making a string in the common case: the field's hash finds the last client
   * seen under it, and the bytes are compared with that client's raw text to rule out a collision.
   */
  private lookupRecord(rec: LogRecord): ClientAggregate | null {
    if (rec.isIp4) return this.lookupIp4(rec.ip4);
    const hit = this.byHash.get(rec.ipHash);
    if (hit && rec.ipBuf && sameText(hit.raw, rec.ipBuf, rec.ipStart, rec.ipEnd)) return hit.agg;
    const raw = recordIp(rec);
    const agg = this.lookup(raw);
    if (!hit) this.byHash.set(rec.ipHash, { raw, agg });
    return agg;
  }

  private lookupIp4(ip: number): ClientAggregate {
    const keys = this.ip4Keys;
    const slots = this.ip4Slots;
    const mask = keys.length - 1;
    let h = Math.imul(ip, 0x9e3779b1) >>> this.ip4Shift;
    for (;;) {
      h &= mask;
      const slot = slots[h]!;
      if (slot < 0) break;
      if (keys[h] === ip) return this.byIp4List[slot]!;
      h++;
    }
    const key = `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
    let agg = this.byKey.get(key);
    if (!agg) {
      agg = new ClientAggregate(key);
      this.byKey.set(key, agg);
    }
    keys[h] = ip;
    slots[h] = this.byIp4List.length;
    this.byIp4List.push(agg);
    if (++this.ip4Count * 2 > keys.length) this.growIp4();
    return agg;
  }

  private growIp4(): void {
    const oldKeys = this.ip4Keys;
    const oldSlots = this.ip4Slots;
    const keys = new Int32Array(oldKeys.length * 2);
    const slots = new Int32Array(oldKeys.length * 2).fill(-1);
    const mask = keys.length - 1;
    const shift = 32 - Math.log2(keys.length);
    for (let i = 0; i < oldKeys.length; i++) {
      if (oldSlots[i]! < 0) continue;
      let h = Math.imul(oldKeys[i]!, 0x9e3779b1) >>> shift;
      while (slots[h]! >= 0) h = (h + 1) & mask;
      keys[h] = oldKeys[i]!;
      slots[h] = oldSlots[i]!;
    }
    this.ip4Keys = keys;
    this.ip4Slots = slots;
    this.ip4Shift = shift;
  }

  private lookup(raw: string): ClientAggregate | null {
    let agg = this.byRaw.get(raw);
    if (agg !== undefined) return agg;
    const canonical = canonicalAddress(raw);
    if (canonical === null) {
      agg = null;
    } else {
      const key = clientKey(canonical, this.opts.ipv6Prefix);
      agg = this.byKey.get(key) ?? null;
      if (!agg) {
        agg = new ClientAggregate(key);
        this.byKey.set(key, agg);
      }
    }
    this.byRaw.set(raw, agg);
    return agg;
  }

  /** Adds one parsed line. Returns false when its client field is not an address. */
  add(rec: LogRecord, line: Buffer, start: number, end: number): boolean {
    if (this.packed) this.aggregates();
    const c = this.lookupRecord(rec);
    if (!c) {
      this.badAddressLines++;
      return false;
    }
    c.requests++;
    if (rec.method === Method.Post) c.post++;
    else if (rec.method === Method.Other) c.otherMethod++;
    else if (rec.method === Method.Invalid) c.invalidRequest++;
    const s = rec.status;
    if (s >= 400 && s < 500) {
      c.status4xx++;
      if (s === 404) c.status404++;
    } else if (s >= 500 && s < 600) c.status5xx++;
    else if (s >= 200 && s < 300) c.status2xx++;
    else if (s >= 300 && s < 400) c.status3xx++;
    let flags = this.classifier.cached(rec.pathHash);
    if (flags < 0) flags = this.classifier.classify(rec.pathHash, recordPath(rec));
    if (flags & PATH_STATIC) c.staticHits++;
    if (flags & PATH_SENSITIVE) c.sensitiveHits++;
    c.paths.add(rec.pathHash);
    if (rec.queryHash !== 0) {
      c.withQuery++;
      c.queries.add(rec.queryHash);
    }
    if (rec.agentHash !== 0) c.agents.add(rec.agentHash);
    c.bytes += rec.bytes;
    if (rec.time < c.firstTime) c.firstTime = rec.time;
    if (rec.time > c.lastTime) c.lastTime = rec.time;
    const minute = rec.minute;
    c.countMinute(minute);
    this.overall.add(minute);
    if (c.timeline) c.timeline.add(minute);
    else if (c.requests >= TIMELINE_FROM) {
      c.timeline = new Timeline();
      c.timeline.add(Math.floor(c.firstTime / 60000), c.requests - 1);
      c.timeline.add(minute);
    }
    const telling = (flags & PATH_SENSITIVE) !== 0 || s >= 400 || rec.method === Method.Post || rec.method === Method.Invalid;
    if (c.samples.length < MAX_SAMPLES || telling) c.keepSample(line, start, end, telling);
    return true;
  }

  /** The aggregates, for sending to another thread; `ClientTable.fromParts` rebuilds a table from them. */
  parts(): { clients: PackedClients; overall: Timeline; badAddressLines: number } {
    return { clients: ClientAggregate.pack([...this.aggregates().values()]), overall: this.overall, badAddressLines: this.badAddressLines };
  }

  /** The table of packed parts; a native reader's table (samples as file places) is read in place. */
  static fromParts(p: ReturnType<ClientTable['parts']>, opts: AggregateOptions): ClientTable {
    const t = new ClientTable(opts);
    const fields = p.clients.fields ?? NUMERIC_FIELDS;
    const inOrder = fields.length === NUMERIC_FIELDS.length && fields.every((f, i) => f === NUMERIC_FIELDS[i]);
    if (inOrder && !Array.isArray(p.clients.samples)) {
      t.packed = new PackedTable(p.clients);
      t.packedParts = p.clients;
    } else for (const c of ClientAggregate.unpack(p.clients)) t.byKey.set(c.key, c);
    Object.setPrototypeOf(p.overall, Timeline.prototype);
    t.overall.merge(p.overall);
    t.badAddressLines = p.badAddressLines;
    return t;
  }

  /** Merges the table of a later stretch of log into this one. */
  merge(other: ClientTable): void {
    if (other.packed && this.byKey.size === 0 && !this.packed) {
      // The first table of a run: taken over as it is, still packed.
      this.packed = other.packed;
      this.packedParts = other.packedParts;
    } else {
      const mine = this.aggregates();
      for (const o of other.aggregates().values()) {
        const m = mine.get(o.key);
        if (m) m.merge(o);
        else mine.set(o.key, o);
      }
    }
    this.badAddressLines += other.badAddressLines;
    this.overall.merge(other.overall);
  }
}
