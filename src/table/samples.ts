/**
 * Every client's sample lines, kept as the bytes the log wrote (cut at SAMPLE_BYTES), and chosen so that any
 * split of the lines, in any order, keeps the same ones: the MAX_SAMPLES earliest telling lines (a sensitive
 * path, an error, a POST, junk) and, in the room they leave, the earliest others (by time, then hash, then
 * bytes). A row has MAX_SAMPLES slots: its telling lines first, then its others.
 *
 * The bytes live in chunks of CHUNK bytes, a line never across two: a sample's place is one number (chunk *
 * CHUNK + offset), the store grows by a chunk at a time (nothing is copied, no second copy is held while it
 * grows: a million clients keep ~700 MB of lines), and a table's flat bytes (parts) are its chunks end to end.
 * A line that falls out leaves its bytes behind; when those outweigh the lines kept, the kept ones are copied
 * into new chunks.
 */
import { grown } from './arena.js';

const CHUNK_BITS = 20;
/** Bytes a chunk. */
export const CHUNK = 1 << CHUNK_BITS;

export const MAX_SAMPLES = 5;
/** A sample is the first SAMPLE_BYTES bytes of its line. */
export const SAMPLE_BYTES = 400;
const S = MAX_SAMPLES;

export interface SampleParts {
  /** Per slot (MAX_SAMPLES a row): the line's time, its hash, where its bytes start in `bytes`, how many. */
  readonly time: Float64Array;
  readonly hash: Int32Array;
  readonly off: Uint32Array;
  readonly len: Uint16Array;
  /** Per row: telling lines kept, other lines kept. */
  readonly count: Uint8Array;
  /** The chunks end to end (each CHUNK bytes but the last; a line never across two). */
  readonly bytes: Uint8Array;
}

export class SampleSlots {
  private time: Float64Array;
  private hash: Int32Array;
  private off: Uint32Array;
  private len: Uint16Array;
  private count: Uint8Array;
  private chunks: Uint8Array[] = [];
  /** Where the next line goes (chunk * CHUNK + offset). */
  private top = 0;
  /** Bytes of the lines still kept (the rest of `top` is left behind by lines that fell out). */
  private live = 0;

  constructor(rows = 1024) {
    this.time = new Float64Array(rows * S);
    this.hash = new Int32Array(rows * S);
    this.off = new Uint32Array(rows * S);
    this.len = new Uint16Array(rows * S);
    this.count = new Uint8Array(rows * 2);
  }

  reserve(rows: number): void {
    if (this.count.length >= rows * 2) return;
    const f = new Float64Array(rows * S);
    f.set(this.time);
    this.time = f;
    this.hash = grown(this.hash, rows * S);
    const o = new Uint32Array(rows * S);
    o.set(this.off);
    this.off = o;
    const l = new Uint16Array(rows * S);
    l.set(this.len);
    this.len = l;
    const c = new Uint8Array(rows * 2);
    c.set(this.count);
    this.count = c;
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

  /** <0 when the line (time, hash, src[start..end)) comes before the one in `slot`, >0 after, 0 the same. */
  private compare(time: number, hash: number, src: Uint8Array, start: number, end: number, slot: number): number {
    const t = this.time[slot]!;
    if (time !== t) return time < t ? -1 : 1;
    const h = this.hash[slot]!;
    if (hash !== h) return hash < h ? -1 : 1;
    const b = this.chunks[this.off[slot]! >>> CHUNK_BITS]!;
    const at = this.off[slot]! & (CHUNK - 1);
    const n = this.len[slot]!;
    const m = end - start;
    for (let i = 0; i < m && i < n; i++) {
      const d = src[start + i]! - b[at + i]!;
      if (d !== 0) return d;
    }
    return m - n;
  }

  /** Offers a line of a kind; it is kept when it is among the earliest its kind has room for. */
  offer(row: number, kind: number, time: number, hash: number, src: Uint8Array, start: number, end: number): void {
    const cap = this.room(row, kind);
    if (cap === 0) return;
    const base = row * S;
    const t = this.count[row * 2]!;
    const o = this.count[row * 2 + 1]!;
    const lo = base + (kind === 0 ? 0 : t);
    const n = kind === 0 ? t : o;
    if (n === cap && this.compare(time, hash, src, start, end, lo + n - 1) >= 0) return;
    let i = Math.min(n, cap - 1);
    while (i > 0 && this.compare(time, hash, src, start, end, lo + i - 1) < 0) i--;
    // The same line twice (a file read through two names is read once; a log may still repeat a line).
    if (i > 0 && this.compare(time, hash, src, start, end, lo + i - 1) === 0) return;
    const total = t + o;
    let last = base + total;
    if (total === S) {
      // Full: the last slot falls out (the last other line, or the last telling one when there are no others).
      last--;
      this.live -= this.len[last]!;
      if (o > 0) this.count[row * 2 + 1] = o - 1;
      else this.count[row * 2] = t - 1;
    }
    const at = this.store(src, start, end);
    const p = lo + i;
    this.time.copyWithin(p + 1, p, last);
    this.hash.copyWithin(p + 1, p, last);
    this.off.copyWithin(p + 1, p, last);
    this.len.copyWithin(p + 1, p, last);
    this.time[p] = time;
    this.hash[p] = hash;
    this.off[p] = at;
    this.len[p] = end - start;
    this.count[row * 2 + kind]!++;
  }

  /** Copies a line's bytes into the chunks (a new chunk when the last is full); where. */
  private store(src: Uint8Array, start: number, end: number): number {
    const n = end - start;
    if (this.top - this.live > Math.max(this.live, 64 * CHUNK)) this.compact();
    let pos = this.top & (CHUNK - 1);
    let c = this.top >>> CHUNK_BITS;
    if (pos + n > CHUNK || c === this.chunks.length) {
      if (c < this.chunks.length) {
        c++;
        pos = 0;
      }
      if (c >= 2 ** (32 - CHUNK_BITS)) throw new RangeError('sample lines: over 4 GiB kept');
      this.chunks.push(new Uint8Array(CHUNK));
    }
    const b = this.chunks[c]!;
    // Copying byte by byte beats `set(subarray)` for lines this short.
    for (let i = 0; i < n; i++) b[pos + i] = src[start + i]!;
    const at = c * CHUNK + pos;
    this.top = at + n;
    this.live += n;
    return at;
  }

  /** Copies the kept lines into new chunks, in row order (the bytes of lines that fell out are let go). */
  private compact(): void {
    const old = this.chunks;
    this.chunks = [];
    this.top = 0;
    this.live = 0;
    const rows = this.count.length / 2;
    for (let r = 0; r < rows; r++) {
      const k = this.count[r * 2]! + this.count[r * 2 + 1]!;
      for (let s = r * S; s < r * S + k; s++) {
        const o = this.off[s]!;
        const pos = o & (CHUNK - 1);
        this.off[s] = this.store(old[o >>> CHUNK_BITS]!, pos, pos + this.len[s]!);
      }
    }
  }

  /** Bytes held for lines (kept ones, those left behind, and the unused end of the last chunk). */
  get heldBytes(): number {
    return this.chunks.reduce((n, c) => n + c.length, 0);
  }

  /** A row's kept lines: telling ones first, then the others. */
  lines(row: number): string[] {
    const k = this.count[row * 2]! + this.count[row * 2 + 1]!;
    const out: string[] = new Array(k);
    for (let i = 0; i < k; i++) {
      const s = row * S + i;
      const c = this.chunks[this.off[s]! >>> CHUNK_BITS]!;
      const pos = this.off[s]! & (CHUNK - 1);
      out[i] = Buffer.from(c.buffer, c.byteOffset, c.byteLength).toString('utf8', pos, pos + this.len[s]!);
    }
    return out;
  }

  /** Offers row `from` of `other`'s lines to `row` (an empty row takes them as they are). */
  mergeFrom(row: number, other: SampleSlots, from: number): void {
    const t = other.count[from * 2]!;
    const o = other.count[from * 2 + 1]!;
    if (t + o === 0) return;
    const empty = this.count[row * 2]! + this.count[row * 2 + 1]! === 0;
    for (let i = 0; i < t + o; i++) {
      const s = from * S + i;
      const b = other.chunks[other.off[s]! >>> CHUNK_BITS]!;
      const pos = other.off[s]! & (CHUNK - 1);
      const end = pos + other.len[s]!;
      if (!empty) {
        this.offer(row, i < t ? 0 : 1, other.time[s]!, other.hash[s]!, b, pos, end);
        continue;
      }
      // Into an empty row: the lines as they are, in their order.
      const at = this.store(b, pos, end);
      const d = row * S + i;
      this.time[d] = other.time[s]!;
      this.hash[d] = other.hash[s]!;
      this.off[d] = at;
      this.len[d] = other.len[s]!;
      // Counted at once: the chunks may be compacted while the next one is stored.
      this.count[row * 2 + (i < t ? 0 : 1)]!++;
    }
  }

  /**
   * The first `rows` rows as flat arrays of their own, the kept lines only, in chunks end to end (see fromParts).
   */
  parts(rows: number): SampleParts {
    const into = new SampleSlots(rows);
    for (let r = 0; r < rows; r++) into.mergeFrom(r, this, r);
    const bytes = new Uint8Array(into.top);
    into.chunks.forEach((c, i) => bytes.set(i * CHUNK + CHUNK <= into.top ? c : c.subarray(0, into.top - i * CHUNK), i * CHUNK));
    return {
      time: into.time,
      hash: into.hash,
      off: into.off,
      len: into.len,
      count: into.count,
      bytes,
    };
  }

  /** Slots over the arrays as they are (not copied): a table read from a file or handed over by a thread. */
  static fromParts(p: SampleParts): SampleSlots {
    const s = new SampleSlots(16);
    s.time = p.time;
    s.hash = p.hash;
    s.off = p.off;
    s.len = p.len;
    s.count = p.count;
    for (let at = 0; at < p.bytes.length; at += CHUNK) s.chunks.push(p.bytes.subarray(at, Math.min(at + CHUNK, p.bytes.length)));
    // New lines go to a chunk of their own (the last one here may be short, and may be another's memory).
    s.top = s.chunks.length * CHUNK;
    s.live = s.top;
    return s;
  }
}
