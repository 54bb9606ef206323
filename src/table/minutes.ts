/**
 * Every client's requests per minute, exact, in one arena: for each client a block of (minute, count) pairs
 * sorted by minute, one pair per minute it was active in (memory grows with active minutes, never with
 * lines). The same minute seen on two servers, threads or files adds up, so a client's peak is its true one
 * however its lines were spread.
 */
import { Arena, grown } from './arena.js';

export interface MinuteParts {
  readonly ints: Int32Array;
  readonly off: Int32Array;
  readonly cap: Int32Array;
  readonly n: Int32Array;
  readonly peak: Int32Array;
}

/**
 * The most requests in any `window` consecutive minutes of n (minute, count) pairs sorted by minute: a
 * sliding window over the pairs (one client's, or a group's added up).
 */
export function windowPeak(n: number, minuteAt: (i: number) => number, countAt: (i: number) => number, window: number): number {
  let best = 0;
  let sum = 0;
  for (let i = 0, lo = 0; i < n; i++) {
    const m = minuteAt(i);
    sum += countAt(i);
    while (minuteAt(lo) <= m - window) sum -= countAt(lo++);
    if (sum > best) best = sum;
  }
  return best;
}

export class MinuteColumns {
  // Most lines open a new minute for their client: start with room (untouched pages cost no memory); a
  // small table (a minute of a live window, a prediction request) starts small.
  private arena: Arena;
  /** Per client: block offset, capacity in pairs, pairs used, largest count. */
  private off: Int32Array;
  private cap: Int32Array;
  private n: Int32Array;
  private peak: Int32Array;

  /** `ints`: room to start with in the arena (untouched room costs no memory). */
  constructor(rows = 1024, ints = rows >= 1024 ? 1 << 20 : Math.max(256, rows * 64)) {
    this.arena = new Arena(ints);
    this.off = new Int32Array(rows);
    this.cap = new Int32Array(rows);
    this.n = new Int32Array(rows);
    this.peak = new Int32Array(rows);
  }

  /** The largest count of any one minute of the client. */
  peakOf(row: number): number {
    return this.peak[row]!;
  }

  reserve(rows: number): void {
    this.off = grown(this.off, rows);
    this.cap = grown(this.cap, rows);
    this.n = grown(this.n, rows);
    this.peak = grown(this.peak, rows);
  }

  /** Minutes with at least one request. */
  size(row: number): number {
    return this.n[row]!;
  }

  add(row: number, minute: number, count = 1): void {
    const n = this.n[row]!;
    let ints = this.arena.ints;
    const base = this.off[row]!;
    // Lines mostly arrive in time order: the last minute again, or a later one.
    if (n > 0) {
      const lastAt = base + 2 * n - 2;
      const last = ints[lastAt]!;
      if (last === minute) {
        const c = (ints[lastAt + 1]! += count);
        if (c > this.peak[row]!) this.peak[row] = c;
        return;
      }
      if (last > minute) {
        let lo = 0;
        let hi = n - 1;
        while (lo <= hi) {
          const mid = (lo + hi) >> 1;
          const m = ints[base + 2 * mid]!;
          if (m === minute) {
            const c = (ints[base + 2 * mid + 1]! += count);
            if (c > this.peak[row]!) this.peak[row] = c;
            return;
          }
          if (m < minute) lo = mid + 1;
          else hi = mid - 1;
        }
        this.insertAt(row, lo, minute, count);
        return;
      }
    }
    if (n === this.cap[row]) {
      this.regrow(row);
      ints = this.arena.ints;
    }
    const at = this.off[row]! + 2 * n;
    ints[at] = minute;
    ints[at + 1] = count;
    this.n[row] = n + 1;
    if (count > this.peak[row]!) this.peak[row] = count;
  }

  private regrow(row: number): void {
    const cap = Math.max(4, this.cap[row]! * 2);
    const at = this.arena.alloc(2 * cap);
    const ints = this.arena.ints;
    ints.copyWithin(at, this.off[row]!, this.off[row]! + 2 * this.n[row]!);
    this.off[row] = at;
    this.cap[row] = cap;
  }

  private insertAt(row: number, i: number, minute: number, count: number): void {
    if (this.n[row] === this.cap[row]) this.regrow(row);
    const ints = this.arena.ints;
    const base = this.off[row]!;
    const n = this.n[row]!;
    ints.copyWithin(base + 2 * i + 2, base + 2 * i, base + 2 * n);
    ints[base + 2 * i] = minute;
    ints[base + 2 * i + 1] = count;
    this.n[row] = n + 1;
    if (count > this.peak[row]!) this.peak[row] = count;
  }

  forEach(row: number, fn: (minute: number, count: number) => void): void {
    const ints = this.arena.ints;
    const base = this.off[row]!;
    for (let i = 0; i < this.n[row]!; i++) fn(ints[base + 2 * i]!, ints[base + 2 * i + 1]!);
  }

  /** The most requests in any `window` consecutive minutes of the client. */
  windowPeak(row: number, window: number): number {
    const ints = this.arena.ints;
    const base = this.off[row]!;
    return windowPeak(
      this.n[row]!,
      (i) => ints[base + 2 * i]!,
      (i) => ints[base + 2 * i + 1]!,
      window,
    );
  }

  /**
   * Adds client `from` of `other` to client `row`: into its block when the minutes fit (from the end backwards,
   * so that nothing is overwritten before it is read), else into a new block with room to spare.
   */
  mergeFrom(row: number, other: MinuteColumns, from: number): void {
    const bn = other.n[from]!;
    if (bn === 0) return;
    const b = other.arena.ints;
    const bb = other.off[from]!;
    const an = this.n[row]!;
    if (an === 0) {
      const at = this.arena.alloc(2 * bn);
      const out = this.arena.ints;
      for (let k = 0; k < 2 * bn; k++) out[at + k] = b[bb + k]!;
      this.off[row] = at;
      this.cap[row] = bn;
      this.n[row] = bn;
      this.peak[row] = other.peak[from]!;
      return;
    }
    let ints = this.arena.ints;
    let ab = this.off[row]!;
    // How many minutes the two have together.
    let union = an + bn;
    for (let i = 0, j = 0; i < an && j < bn;) {
      const am = ints[ab + 2 * i]!;
      const bm = b[bb + 2 * j]!;
      if (am === bm) {
        union--;
        i++;
        j++;
      } else if (am < bm) i++;
      else j++;
    }
    if (union > this.cap[row]!) {
      const cap = union + (union >> 2);
      const at = this.arena.alloc(2 * cap);
      ints = this.arena.ints;
      for (let k = 0; k < 2 * an; k++) ints[at + k] = ints[ab + k]!;
      this.off[row] = ab = at;
      this.cap[row] = cap;
    }
    let peak = this.peak[row]!;
    let i = an - 1;
    let j = bn - 1;
    for (let k = union - 1; k >= 0; k--) {
      const am = i >= 0 ? ints[ab + 2 * i]! : -Infinity;
      const bm = j >= 0 ? b[bb + 2 * j]! : -Infinity;
      let m: number;
      let c: number;
      if (am > bm) {
        m = am;
        c = ints[ab + 2 * i + 1]!;
        i--;
      } else if (bm > am) {
        m = bm;
        c = b[bb + 2 * j + 1]!;
        j--;
      } else {
        m = am;
        c = ints[ab + 2 * i + 1]! + b[bb + 2 * j + 1]!;
        i--;
        j--;
      }
      ints[ab + 2 * k] = m;
      ints[ab + 2 * k + 1] = c;
      if (c > peak) peak = c;
    }
    this.n[row] = union;
    this.peak[row] = peak;
  }

  /**
   * The first `rows` clients as flat arrays of their own, to move to another thread or write to a file (see
   * fromParts): each block cut to the pairs in use, one after another.
   */
  parts(rows: number): MinuteParts {
    const n = this.n.slice(0, rows);
    let size = 0;
    for (let r = 0; r < rows; r++) size += 2 * n[r]!;
    const ints = new Int32Array(size);
    const off = new Int32Array(rows);
    const from = this.arena.ints;
    let at = 0;
    for (let r = 0; r < rows; r++) {
      const k = 2 * n[r]!;
      if (k === 0) continue;
      ints.set(from.subarray(this.off[r]!, this.off[r]! + k), at);
      off[r] = at;
      at += k;
    }
    return { ints, off, cap: n.slice(), n, peak: this.peak.slice(0, rows) };
  }

  /** Whether every client's block lies inside the arena (null), or whose does not. */
  static check(p: MinuteParts): string | null {
    const ints = p.ints;
    for (let r = 0; r < p.off.length; r++) {
      const n = p.n[r]!;
      const base = p.off[r]!;
      if (n < 0 || p.cap[r]! < n || (n > 0 && (base < 0 || base + 2 * n > ints.length))) return `the minutes of row ${r} lie outside minutes.ints`;
      // Merging and peaks over a window walk the pairs in order: minutes rising, counts and the peak their own.
      let peak = 0;
      for (let i = 0; i < n; i++) {
        const c = ints[base + 2 * i + 1]!;
        if (c < 1 || (i > 0 && ints[base + 2 * i]! <= ints[base + 2 * i - 2]!)) return `the minutes of row ${r} are out of order or uncounted`;
        if (c > peak) peak = c;
      }
      if (p.peak[r] !== peak) return `minutes.peak of row ${r} is not its largest minute`;
    }
    return null;
  }

  /** Columns over the arrays as they are (not copied). */
  static fromParts(p: MinuteParts): MinuteColumns {
    const m = new MinuteColumns(16);
    m.arena = Arena.from(p.ints);
    m.off = p.off;
    m.cap = p.cap;
    m.n = p.n;
    m.peak = p.peak;
    return m;
  }
}
