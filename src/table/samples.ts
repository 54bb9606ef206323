/**
 * Every client's sample lines, kept as the bytes the log wrote (cut at SAMPLE_BYTES), and chosen so that any
 * split of the lines, in any order, keeps the same ones: the MAX_SAMPLES earliest telling lines (a sensitive
 * path, an error, a POST, junk) and, in the room they leave, the earliest others (by time, then by two 32-bit
 * hashes of the bytes and their length: lines equal in all four are the same line). A row has MAX_SAMPLES
 * slots: its telling lines first, then its others. Choosing never reads the bytes kept.
 *
 * The bytes go into an open chunk of up to CHUNK bytes (a line never across two); a full chunk is sealed:
 * deflated (log lines shrink about ten times) and the open chunk's memory used again. A sample's place is one
 * number, chunk * CHUNK + offset. Reading a sealed chunk inflates it (a few are cached); `linesOf` reads many
 * rows inflating each chunk once. Merging takes another store's sealed chunks as they are (nothing inflated or
 * copied line by line) and its open chunk's lines by copy. A line that falls out leaves its bytes behind; when
 * those outweigh the lines kept, the kept ones are written again into new chunks.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { errors } from '../core/errors.js';
import { hashBytes } from '../logs/parse.js';
import { grown } from './arena.js';

export const MAX_SAMPLES = 5;
/** A sample is the first SAMPLE_BYTES bytes of its line. */
export const SAMPLE_BYTES = 400;
/** Bytes a chunk holds at most (before it is deflated). */
export const CHUNK = 1 << 20;
const S = MAX_SAMPLES;
/** Inflated chunks kept for reading. */
const CACHED = 4;
/** The second hash's seed (the first is hashBytes's own). */
const SEED2 = 0x9747b28c;

export interface SampleParts {
  /** Per slot (MAX_SAMPLES a row): the line's time, its two hashes, its place (chunk * CHUNK + offset), its length. */
  readonly time: Float64Array;
  readonly hash: Int32Array;
  readonly hash2: Int32Array;
  readonly place: Float64Array;
  readonly len: Uint16Array;
  /** Per row: telling lines kept, other lines kept. */
  readonly count: Uint8Array;
  /** Per chunk: its deflated size in `bytes`. */
  readonly chunks: Uint32Array;
  /** The chunks, deflated (raw deflate), end to end. */
  readonly bytes: Uint8Array;
}

const chunkOf = (place: number) => Math.floor(place / CHUNK);

function inflate(chunk: Uint8Array): Uint8Array {
  try {
    return inflateRawSync(chunk);
  } catch (err) {
    throw Object.assign(errors.damagedTable(`sample lines do not inflate (${(err as Error).message})`), { cause: err });
  }
}

export class SampleSlots {
  private time: Float64Array;
  private hash: Int32Array;
  private hash2: Int32Array;
  private place: Float64Array;
  private len: Uint16Array;
  private count: Uint8Array;
  /** Deflated chunks; the open chunk's number is sealed.length. */
  private sealed: Uint8Array[] = [];
  private open: Uint8Array;
  private openTop = 0;
  /** Bytes of lines stored, and of lines still kept (the rest were left behind by lines that fell out). */
  private stored = 0;
  private live = 0;
  private readonly cache = new Map<number, Uint8Array>();
  /**
   * The store being merged in (a table merges one other at a time) once its sealed chunks are taken: where they
   * start among this store's. Cleared by endMerge, and when the chunks are written again (compact).
   */
  private adopted: { readonly from: SampleSlots; readonly base: number } | null = null;

  constructor(rows = 1024) {
    this.time = new Float64Array(rows * S);
    this.hash = new Int32Array(rows * S);
    this.hash2 = new Int32Array(rows * S);
    this.place = new Float64Array(rows * S);
    this.len = new Uint16Array(rows * S);
    this.count = new Uint8Array(rows * 2);
    // A small table (a minute of a live window, a prediction request) starts with a small chunk.
    this.open = new Uint8Array(rows >= 1024 ? CHUNK : Math.max(4096, rows * 512));
  }

  reserve(rows: number): void {
    if (this.count.length >= rows * 2) return;
    this.time = grown(this.time, rows * S);
    this.hash = grown(this.hash, rows * S);
    this.hash2 = grown(this.hash2, rows * S);
    this.place = grown(this.place, rows * S);
    this.len = grown(this.len, rows * S);
    this.count = grown(this.count, rows * 2);
  }

  /** How many lines of a kind (0 telling, 1 other) a row keeps at most now. */
  room(row: number, kind: number): number {
    return kind === 0 ? S : S - this.count[row * 2]!;
  }

  /** Whether a line of this kind and time would certainly not be kept (before hashing it). */
  tooLate(row: number, kind: number, time: number): boolean {
    const cap = this.room(row, kind);
    if (cap === 0) return true;
    const n = this.count[row * 2 + kind]!;
    return n === cap && time > this.time[row * S + (kind === 0 ? 0 : this.count[row * 2]!) + cap - 1]!;
  }

  /** The bytes of chunk `c` (the open one, or a sealed one inflated). */
  private chunk(c: number): Uint8Array {
    if (c === this.sealed.length) return this.open;
    let raw = this.cache.get(c);
    if (raw) return raw;
    raw = inflate(this.sealed[c]!);
    if (this.cache.size >= CACHED) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(c, raw);
    return raw;
  }

  /** The line being offered: its second hash is made only when a first one ties or the line is kept. */
  private candidate = { hash2: NaN, src: null as Uint8Array | null, start: 0, end: 0 };

  private candidateHash2(): number {
    const c = this.candidate;
    if (Number.isNaN(c.hash2)) c.hash2 = hashBytes(c.src!, c.start, c.end, SEED2);
    return c.hash2;
  }

  /** <0 when the line offered (time, hashes, length) comes before the one in `slot`, >0 after, 0 the same line. */
  private compare(time: number, hash: number, len: number, slot: number): number {
    const t = this.time[slot]!;
    if (time !== t) return time < t ? -1 : 1;
    const h = this.hash[slot]!;
    if (hash !== h) return hash < h ? -1 : 1;
    const hash2 = this.candidateHash2();
    const h2 = this.hash2[slot]!;
    if (hash2 !== h2) return hash2 < h2 ? -1 : 1;
    return len - this.len[slot]!;
  }

  /** Offers a line (src[start..end)) of a kind; it is kept when it is among the earliest its kind has room for. */
  offer(row: number, kind: number, time: number, src: Uint8Array, start: number, end: number): void {
    this.offerAt(row, kind, time, hashBytes(src, start, end), NaN, src, start, end);
  }

  /**
   * Offers a line given by its bytes (src[start..end)), or, when src is null, already stored at place
   * `start` (end - start bytes long): then only its place is kept. `hash2` is NaN when not made yet.
   */
  private offerAt(row: number, kind: number, time: number, hash: number, hash2: number, src: Uint8Array | null, start: number, end: number): void {
    const c = this.candidate;
    c.hash2 = hash2;
    c.src = src;
    c.start = start;
    c.end = end;
    const cap = this.room(row, kind);
    if (cap === 0) return;
    const base = row * S;
    const t = this.count[row * 2]!;
    const o = this.count[row * 2 + 1]!;
    const lo = base + (kind === 0 ? 0 : t);
    const n = kind === 0 ? t : o;
    const len = end - start;
    if (n === cap && this.compare(time, hash, len, lo + n - 1) >= 0) return;
    let i = Math.min(n, cap - 1);
    while (i > 0 && this.compare(time, hash, len, lo + i - 1) < 0) i--;
    // The same line twice (a file read through two names is read once; a log may still repeat a line).
    if (i > 0 && this.compare(time, hash, len, lo + i - 1) === 0) return;
    const total = t + o;
    let last = base + total;
    if (total === S) {
      // Full: the last slot falls out (the last other line, or the last telling one when there are no others).
      last--;
      this.live -= this.len[last]!;
      if (o > 0) this.count[row * 2 + 1] = o - 1;
      else this.count[row * 2] = t - 1;
    }
    let place = start;
    if (src === null) this.live += len;
    else place = this.store(src, start, end);
    const p = lo + i;
    // At most four slots move (none when the line goes last): a loop, not five calls of copyWithin, whose
    // cost was most of a live window's sampling (each minute's table keeps its clients' first lines).
    for (let k = last; k > p; k--) {
      this.time[k] = this.time[k - 1]!;
      this.hash[k] = this.hash[k - 1]!;
      this.hash2[k] = this.hash2[k - 1]!;
      this.place[k] = this.place[k - 1]!;
      this.len[k] = this.len[k - 1]!;
    }
    this.time[p] = time;
    this.hash[p] = hash;
    this.hash2[p] = this.candidateHash2();
    this.place[p] = place;
    this.len[p] = len;
    this.count[row * 2 + kind]!++;
  }

  /** Copies a line's bytes into the open chunk (sealing it when full); its place. */
  private store(src: Uint8Array, start: number, end: number): number {
    const n = end - start;
    // Left-behind lines are mostly deflated (about a tenth of their size): let them outweigh the kept ones first.
    if (this.stored - this.live > 8 * this.live + 64 * CHUNK) this.compact();
    if (this.openTop + n > this.open.length) {
      if (this.open.length < CHUNK) {
        const bigger = new Uint8Array(Math.min(CHUNK, this.open.length * 2));
        bigger.set(this.open.subarray(0, this.openTop));
        this.open = bigger;
      } else this.seal();
    }
    const b = this.open;
    const pos = this.openTop;
    // A line is ~100-300 bytes: one native copy (a byte loop here was a live window's largest cost).
    b.set(src.subarray(start, end), pos);
    this.openTop += n;
    this.stored += n;
    this.live += n;
    return this.sealed.length * CHUNK + pos;
  }

  /** Deflates the open chunk into the sealed ones; the open chunk starts again, empty (its memory kept). */
  private seal(): void {
    if (this.sealed.length + 1 >= 2 ** 32) throw new RangeError('sample lines: too many chunks');
    this.sealed.push(this.deflatedOpen());
    this.openTop = 0;
  }

  /** The open chunk's lines, deflated (level 1: log lines still shrink about ten times). */
  private deflatedOpen(): Uint8Array {
    return deflateRawSync(this.open.subarray(0, this.openTop), { level: 1 });
  }

  /** Writes the kept lines again into new chunks (the bytes of lines that fell out are let go). */
  private compact(): void {
    const rows = this.count.length / 2;
    const slots: number[] = [];
    for (let r = 0; r < rows; r++) for (let s = r * S; s < r * S + this.count[r * 2]! + this.count[r * 2 + 1]!; s++) slots.push(s);
    const lines = this.bytesOf(slots);
    this.sealed = [];
    this.cache.clear();
    this.adopted = null;
    this.openTop = 0;
    this.stored = 0;
    this.live = 0;
    slots.forEach((s, i) => (this.place[s] = this.store(lines[i]!, 0, lines[i]!.length)));
  }

  /** The bytes of many slots, each sealed chunk inflated once (in chunk order, not kept). */
  private bytesOf(slots: readonly number[]): Uint8Array[] {
    const order = slots.map((_, i) => i).sort((a, b) => this.place[slots[a]!]! - this.place[slots[b]!]!);
    const out: Uint8Array[] = new Array(slots.length);
    let c = -1;
    let raw: Uint8Array = this.open;
    for (const i of order) {
      const s = slots[i]!;
      const p = this.place[s]!;
      if (chunkOf(p) !== c) {
        c = chunkOf(p);
        raw = c === this.sealed.length ? this.open : (this.cache.get(c) ?? inflate(this.sealed[c]!));
      }
      const at = p - c * CHUNK;
      out[i] = raw.slice(at, at + this.len[s]!);
    }
    return out;
  }

  /** Chunks of lines, the open one included. */
  get chunkCount(): number {
    return this.sealed.length + 1;
  }

  /** Bytes held for lines: the sealed chunks and the open one. */
  get heldBytes(): number {
    return this.sealed.reduce((n, c) => n + c.length, 0) + this.open.length;
  }

  /** A row's kept lines: telling ones first, then the others. */
  lines(row: number): string[] {
    return this.linesOf([row])[0]!;
  }

  /** The kept lines of many rows (each chunk read once, whatever the rows' order). */
  linesOf(rows: readonly number[]): string[][] {
    const slots: number[] = [];
    for (const r of rows) for (let s = r * S; s < r * S + this.count[r * 2]! + this.count[r * 2 + 1]!; s++) slots.push(s);
    const bytes = slots.length === 1 ? [this.oneLine(slots[0]!)] : this.bytesOf(slots);
    let k = 0;
    return rows.map((r) => {
      const n = this.count[r * 2]! + this.count[r * 2 + 1]!;
      const out: string[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = Buffer.from(bytes[k]!.buffer, bytes[k]!.byteOffset, bytes[k++]!.byteLength).toString('utf8');
      return out;
    });
  }

  private oneLine(slot: number): Uint8Array {
    const p = this.place[slot]!;
    const c = chunkOf(p);
    const at = p - c * CHUNK;
    return this.chunk(c).subarray(at, at + this.len[slot]!);
  }

  /**
   * Where `other`'s sealed chunks start among this store's (taken the first time: copied as they are, this
   * store's open chunk sealed first so that its number stays).
   */
  private adopt(other: SampleSlots): number {
    if (this.adopted?.from === other) return this.adopted.base;
    if (this.openTop > 0) this.seal();
    const base = this.sealed.length;
    for (const c of other.sealed) this.sealed.push(c.slice());
    this.stored += other.stored - other.openTop;
    this.adopted = { from: other, base };
    return base;
  }

  /** The end of a merge: lets go of the store merged in (it may be a view of a file's buffer about to be reused). */
  endMerge(): void {
    this.adopted = null;
  }

  /** Offers row `from` of `other`'s lines to `row` (an empty row takes them as they are). */
  mergeFrom(row: number, other: SampleSlots, from: number): void {
    const t = other.count[from * 2]!;
    const o = other.count[from * 2 + 1]!;
    if (t + o === 0) return;
    const empty = this.count[row * 2]! + this.count[row * 2 + 1]! === 0;
    for (let i = 0; i < t + o; i++) {
      const s = from * S + i;
      const p = other.place[s]!;
      const c = chunkOf(p);
      const n = other.len[s]!;
      let place: number;
      if (c < other.sealed.length) {
        // In a sealed chunk: this store takes the chunk, the row the line's place in it.
        place = (this.adopt(other) + c) * CHUNK + (p - c * CHUNK);
        if (!empty) {
          this.offerAt(row, i < t ? 0 : 1, other.time[s]!, other.hash[s]!, other.hash2[s]!, null, place, place + n);
          continue;
        }
        this.live += n;
      } else {
        const at = p - c * CHUNK;
        if (!empty) {
          this.offerAt(row, i < t ? 0 : 1, other.time[s]!, other.hash[s]!, other.hash2[s]!, other.open, at, at + n);
          continue;
        }
        place = this.store(other.open, at, at + n);
      }
      // Into an empty row: the lines as they are, in their order.
      const d = row * S + i;
      this.time[d] = other.time[s]!;
      this.hash[d] = other.hash[s]!;
      this.hash2[d] = other.hash2[s]!;
      this.place[d] = place;
      this.len[d] = n;
      // Counted at once: the chunks may be written again while the next line is stored.
      this.count[row * 2 + (i < t ? 0 : 1)]!++;
    }
  }

  /**
   * The first `rows` rows as flat arrays of their own (see fromParts): the chunks deflated end to end (the open
   * one deflated too), written again first when lines that fell out take more room than those kept.
   */
  parts(rows: number): SampleParts {
    if (this.stored - this.live > this.live / 4) this.compact();
    const chunks = [...this.sealed];
    if (this.openTop > 0) chunks.push(this.deflatedOpen());
    const sizes = Uint32Array.from(chunks, (c) => c.length);
    const bytes = new Uint8Array(sizes.reduce((a, b) => a + b, 0));
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.length;
    }
    return {
      time: this.time.slice(0, rows * S),
      hash: this.hash.slice(0, rows * S),
      hash2: this.hash2.slice(0, rows * S),
      place: this.place.slice(0, rows * S),
      len: this.len.slice(0, rows * S),
      count: this.count.slice(0, rows * 2),
      chunks: sizes,
      bytes,
    };
  }

  /** Slots over the arrays as they are (not copied): a table read from a file or handed over by a thread. */
  static fromParts(p: SampleParts): SampleSlots {
    const s = new SampleSlots(16);
    s.time = p.time;
    s.hash = p.hash;
    s.hash2 = p.hash2;
    s.place = p.place;
    s.len = p.len;
    s.count = p.count;
    let at = 0;
    for (const n of p.chunks) {
      s.sealed.push(p.bytes.subarray(at, at + n));
      at += n;
    }
    let live = 0;
    for (let r = 0; r < p.count.length / 2; r++) for (let i = 0; i < p.count[2 * r]! + p.count[2 * r + 1]!; i++) live += p.len[r * S + i]!;
    s.live = live;
    s.stored = live;
    return s;
  }

  /** Whether every kept line lies inside a chunk (a damaged table is refused, not read past its end). */
  static check(p: SampleParts): string | null {
    const chunks = p.chunks.length;
    if (p.chunks.reduce((a, b) => a + b, 0) !== p.bytes.length) return 'samples.chunks do not add up to samples.bytes';
    for (let r = 0; r < p.count.length / 2; r++) {
      const k = p.count[2 * r]! + p.count[2 * r + 1]!;
      if (k > S) return `samples.count of row ${r} is over ${S}`;
      for (let i = r * S; i < r * S + k; i++) {
        const c = chunkOf(p.place[i]!);
        if (!Number.isInteger(p.place[i]) || c < 0 || c >= chunks || p.place[i]! - c * CHUNK + p.len[i]! > CHUNK) return `sample ${i} lies outside its chunk`;
      }
    }
    return null;
  }
}
