/**
 * Every client's sample lines, kept as the bytes the log wrote (cut at SAMPLE_BYTES) in one byte arena, and
 * chosen so that any split of the lines, in any order, keeps the same ones: the MAX_SAMPLES earliest telling
 * lines (a sensitive path, an error, a POST, junk) and, in the room they leave, the earliest others (by time,
 * then hash, then bytes). A row has MAX_SAMPLES slots: its telling lines first, then its others. A line that
 * falls out leaves its bytes behind until the arena next grows, when only the lines still kept are copied.
 */
import { grown } from './arena.js';

export const MAX_SAMPLES = 5;
/** A sample is the first SAMPLE_BYTES bytes of its line. */
export const SAMPLE_BYTES = 400;
const S = MAX_SAMPLES;

export interface SampleParts {
  /** Per slot (MAX_SAMPLES a row): the line's time, its hash, where its bytes start in `bytes`, how many. */
  readonly time: Float64Array;
  readonly hash: Int32Array;
  readonly off: Int32Array;
  readonly len: Uint16Array;
  /** Per row: telling lines kept, other lines kept. */
  readonly count: Uint8Array;
  readonly bytes: Uint8Array;
}

export class SampleSlots {
  private time: Float64Array;
  private hash: Int32Array;
  private off: Int32Array;
  private len: Uint16Array;
  private count: Uint8Array;
  private bytes: Uint8Array;
  private top = 0;
  /** Bytes of the lines still kept (the rest of `top` is left behind by lines that fell out). */
  private live = 0;

  constructor(rows = 1024) {
    this.time = new Float64Array(rows * S);
    this.hash = new Int32Array(rows * S);
    this.off = new Int32Array(rows * S);
    this.len = new Uint16Array(rows * S);
    this.count = new Uint8Array(rows * 2);
    this.bytes = new Uint8Array(rows >= 1024 ? 1 << 20 : Math.max(1024, rows * 256));
  }

  reserve(rows: number): void {
    if (this.count.length >= rows * 2) return;
    const f = new Float64Array(rows * S);
    f.set(this.time);
    this.time = f;
    this.hash = grown(this.hash, rows * S);
    this.off = grown(this.off, rows * S);
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
    const b = this.bytes;
    const at = this.off[slot]!;
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

  /** Copies bytes into the arena (growing it, and leaving lines that fell out behind, when full); where. */
  private store(src: Uint8Array, start: number, end: number): number {
    const n = end - start;
    if (this.top + n > this.bytes.length) {
      const rows = this.count.length / 2;
      const next = new Uint8Array(Math.max(this.bytes.length, 2 * (this.live + n)));
      this.top = this.copyLive(rows, next);
    }
    const at = this.top;
    // Copying byte by byte beats `set(subarray)` for lines this short.
    const b = this.bytes;
    for (let i = 0; i < n; i++) b[at + i] = src[start + i]!;
    this.top += n;
    this.live += n;
    return at;
  }

  /** Copies the kept lines of the first `rows` rows into `into`, in row order, pointing the slots at them; the bytes used. */
  private copyLive(rows: number, into: Uint8Array): number {
    let top = 0;
    const b = this.bytes;
    for (let r = 0; r < rows; r++) {
      const k = this.count[r * 2]! + this.count[r * 2 + 1]!;
      for (let s = r * S; s < r * S + k; s++) {
        const at = this.off[s]!;
        const n = this.len[s]!;
        into.set(b.subarray(at, at + n), top);
        this.off[s] = top;
        top += n;
      }
    }
    this.bytes = into;
    return top;
  }

  /** A row's kept lines: telling ones first, then the others. */
  lines(row: number): string[] {
    const k = this.count[row * 2]! + this.count[row * 2 + 1]!;
    const out: string[] = new Array(k);
    const buf = Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    for (let i = 0; i < k; i++) {
      const s = row * S + i;
      out[i] = buf.toString('utf8', this.off[s]!, this.off[s]! + this.len[s]!);
    }
    return out;
  }

  /** Offers row `from` of `other`'s lines to `row` (an empty row takes them as they are). */
  mergeFrom(row: number, other: SampleSlots, from: number): void {
    const t = other.count[from * 2]!;
    const o = other.count[from * 2 + 1]!;
    if (t + o === 0) return;
    const b = other.bytes;
    if (this.count[row * 2]! + this.count[row * 2 + 1]! === 0) {
      for (let i = 0; i < t + o; i++) {
        const s = from * S + i;
        const d = row * S + i;
        const at = this.store(b, other.off[s]!, other.off[s]! + other.len[s]!);
        this.time[d] = other.time[s]!;
        this.hash[d] = other.hash[s]!;
        this.off[d] = at;
        this.len[d] = other.len[s]!;
        // Counted at once: the arena may grow (copying the kept lines) while the next one is stored.
        this.count[row * 2 + (i < t ? 0 : 1)]!++;
      }
      return;
    }
    for (let i = 0; i < t + o; i++) {
      const s = from * S + i;
      this.offer(row, i < t ? 0 : 1, other.time[s]!, other.hash[s]!, b, other.off[s]!, other.off[s]! + other.len[s]!);
    }
  }

  /** The first `rows` rows as flat arrays of their own, only the kept lines' bytes (see fromParts). */
  parts(rows: number): SampleParts {
    const off = this.off.slice(0, rows * S);
    const saved = this.off;
    const bytes = this.bytes;
    this.off = off;
    const out = new Uint8Array(this.live);
    const used = this.copyLive(rows, out);
    this.off = saved;
    this.bytes = bytes;
    return {
      time: this.time.slice(0, rows * S),
      hash: this.hash.slice(0, rows * S),
      off,
      len: this.len.slice(0, rows * S),
      count: this.count.slice(0, rows * 2),
      bytes: used === out.length ? out : out.slice(0, used),
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
    s.bytes = p.bytes;
    s.top = p.bytes.length;
    s.live = p.bytes.length;
    return s;
  }
}
