/**
 * The per-client table, built while the log streams past. Each client costs a fixed number of counters, two
 * bounded distinct counters, its requests per minute (one pair per minute it was active in) and at most a few
 * sample lines, whatever the number of its lines. Aggregates merge exactly, whatever way the lines were spread
 * over files, threads and time order: counts add, the minutes of two servers add up minute by minute, and the
 * samples kept are the earliest lines, so the same lines give the same table in any split or order.
 */
import { canonicalAddress, clientKey } from '../core/address.js';
import { hashBytes, Method, recordIp, recordPath, type LogRecord } from '../logs/parse.js';
import { DistinctCounter, WordList } from './sketch.js';
import { PATH_SENSITIVE, PATH_STATIC, PathClassifier } from './classify.js';
import { MinuteCounts } from './minutes.js';
import { Timeline } from './timeline.js';

function sameText(s: string, buf: Uint8Array, start: number, end: number): boolean {
  if (s.length !== end - start) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== buf[start + i]) return false;
  return true;
}

export const MAX_SAMPLES = 5;
const SAMPLE_CHARS = 400;

/** Aggregates packed for another thread (ClientAggregate.pack). */
export interface PackedClients {
  readonly keys: string[];
  readonly nums: Float64Array;
  readonly words: Int32Array;
  /** Each client's kept lines: [time, hash, telling (1/0), text] for each. */
  readonly samples: Array<Array<[number, number, number, string]>>;
}

/** Something that counts distinct values. */
export interface Countable {
  count(): number;
}

/** What detection and the report read of a client. */
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

/** A kept line and what orders it: earlier lines first, then by hash and text, so the choice is order-free. */
interface Sample {
  readonly time: number;
  readonly hash: number;
  readonly text: string;
}

function before(a: Sample, b: Sample): boolean {
  if (a.time !== b.time) return a.time < b.time;
  if (a.hash !== b.hash) return a.hash < b.hash;
  return a.text < b.text;
}

/** Up to MAX_SAMPLES samples, the earliest ones (in `before`'s order), sorted. */
class SampleList {
  readonly items: Sample[] = [];

  /** Whether a line of this time and hash would be kept (tested before its text is made). */
  wants(time: number, hash: number): boolean {
    if (this.items.length < MAX_SAMPLES) return true;
    const last = this.items[this.items.length - 1]!;
    return time < last.time || (time === last.time && hash <= last.hash);
  }

  /** Whether a line of this time could be kept, whatever its hash. */
  mayWant(time: number): boolean {
    return this.items.length < MAX_SAMPLES || time <= this.items[this.items.length - 1]!.time;
  }

  offer(s: Sample): void {
    const items = this.items;
    if (items.length >= MAX_SAMPLES && !before(s, items[items.length - 1]!)) return;
    let i = items.length;
    while (i > 0 && before(s, items[i - 1]!)) i--;
    if (i > 0 && items[i - 1]!.text === s.text && items[i - 1]!.time === s.time) return; // the same line twice
    items.splice(i, 0, s);
    if (items.length > MAX_SAMPLES) items.pop();
  }
}

/** Counts a minute at a time when it tells a flood: cheap to keep exact (see minutes.ts). */
export class ClientAggregate implements ClientStats {
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
  readonly paths = new DistinctCounter();
  readonly queries = new DistinctCounter();
  readonly agents = new DistinctCounter();
  readonly minutes = new MinuteCounts();
  /** Lines that show intent (sensitive path, error status, POST, junk request), and the others. */
  private readonly telling = new SampleList();
  private readonly plain = new SampleList();

  constructor(readonly key: string) {}

  get peakPerMinute(): number {
    return this.minutes.peak;
  }

  /** Requests over time, for charts. */
  get timeline(): Timeline | null {
    if (this.minutes.size === 0) return null;
    const t = new Timeline();
    this.minutes.forEach((m, c) => t.add(m, c));
    return t;
  }

  /** Up to MAX_SAMPLES lines of this client: the earliest telling ones, then the earliest others. */
  get samples(): string[] {
    return [...this.telling.items, ...this.plain.items].slice(0, MAX_SAMPLES).map((s) => s.text);
  }

  /** Offers a line as a sample; its text is made only when it may be kept. */
  keepSample(line: Buffer, start: number, end: number, time: number, telling: boolean): void {
    const list = telling ? this.telling : this.plain;
    if (!telling && this.telling.items.length >= MAX_SAMPLES) return;
    if (!list.mayWant(time)) return;
    const stop = Math.min(end, start + SAMPLE_CHARS);
    const hash = hashBytes(line, start, stop);
    if (list.wants(time, hash)) list.offer({ time, hash, text: line.toString('utf8', start, stop) });
  }

  /** Packs aggregates into flat arrays for another thread: a structured clone of the objects costs far more. */
  static pack(clients: readonly ClientAggregate[]): PackedClients {
    const nums = new Float64Array(clients.length * NUMERIC_FIELDS.length);
    const words = new WordList();
    const keys: string[] = [];
    const samples: PackedClients['samples'] = [];
    clients.forEach((c, i) => {
      const rec = c as unknown as Record<string, number>;
      for (let f = 0; f < NUMERIC_FIELDS.length; f++) nums[i * NUMERIC_FIELDS.length + f] = rec[NUMERIC_FIELDS[f]!]!;
      c.paths.packInto(words);
      c.queries.packInto(words);
      c.agents.packInto(words);
      c.minutes.packInto(words);
      keys.push(c.key);
      samples.push([
        ...c.telling.items.map((s): [number, number, number, string] => [s.time, s.hash, 1, s.text]),
        ...c.plain.items.map((s): [number, number, number, string] => [s.time, s.hash, 0, s.text]),
      ]);
    });
    return { keys, nums, words: words.take(), samples };
  }

  static unpack(p: PackedClients): ClientAggregate[] {
    const out: ClientAggregate[] = [];
    let at = 0;
    const w = p.words;
    for (let i = 0; i < p.keys.length; i++) {
      const c = new ClientAggregate(p.keys[i]!);
      const rec = c as unknown as Record<string, number>;
      for (let f = 0; f < NUMERIC_FIELDS.length; f++) rec[NUMERIC_FIELDS[f]!] = p.nums[i * NUMERIC_FIELDS.length + f]!;
      at = c.paths.unpackFrom(w, at);
      at = c.queries.unpackFrom(w, at);
      at = c.agents.unpackFrom(w, at);
      at = c.minutes.unpackFrom(w, at);
      for (const [time, hash, telling, text] of p.samples[i]!) (telling ? c.telling : c.plain).items.push({ time, hash, text });
      out.push(c);
    }
    return out;
  }

  /** Adds another table's client of the same key: the result is what one pass over both sets of lines gives. */
  merge(o: ClientAggregate): void {
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
    this.minutes.merge(o.minutes);
    this.paths.merge(o.paths);
    this.queries.merge(o.queries);
    this.agents.merge(o.agents);
    for (const s of o.telling.items) this.telling.offer(s);
    for (const s of o.plain.items) this.plain.offer(s);
  }
}

/** The plain number fields of an aggregate in packing order (test/features/aggregate.test.ts checks the list). */
export const NUMERIC_FIELDS: readonly string[] = [
  'requests', 'post', 'otherMethod', 'invalidRequest', 'status2xx', 'status3xx', 'status4xx', 'status404', 'status5xx',
  'staticHits', 'sensitiveHits', 'withQuery', 'bytes', 'firstTime', 'lastTime',
];

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

  constructor(private readonly opts: AggregateOptions) {}

  get size(): number {
    return this.byKey.size;
  }

  clients(): IterableIterator<ClientStats> {
    return this.byKey.values();
  }

  get(key: string): ClientStats | undefined {
    return this.byKey.get(key);
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
    c.minutes.add(minute);
    this.overall.add(minute);
    const telling = (flags & PATH_SENSITIVE) !== 0 || s >= 400 || rec.method === Method.Post || rec.method === Method.Invalid;
    c.keepSample(line, start, end, rec.time, telling);
    return true;
  }

  /** The aggregates, for sending to another thread; `ClientTable.fromParts` rebuilds a table from them. */
  parts(): { clients: PackedClients; overall: Timeline; badAddressLines: number } {
    return { clients: ClientAggregate.pack([...this.byKey.values()]), overall: this.overall, badAddressLines: this.badAddressLines };
  }

  static fromParts(p: ReturnType<ClientTable['parts']>, opts: AggregateOptions): ClientTable {
    const t = new ClientTable(opts);
    for (const c of ClientAggregate.unpack(p.clients)) t.byKey.set(c.key, c);
    Object.setPrototypeOf(p.overall, Timeline.prototype);
    t.overall.merge(p.overall);
    t.badAddressLines = p.badAddressLines;
    return t;
  }

  /** Merges another table (of other lines) into this one: exact, in any order. */
  merge(other: ClientTable): void {
    for (const o of other.byKey.values()) {
      const m = this.byKey.get(o.key);
      if (m) m.merge(o);
      else this.byKey.set(o.key, o);
    }
    this.badAddressLines += other.badAddressLines;
    this.overall.merge(other.overall);
  }
}
