/**
 * A client's requests per minute, exact: one (minute, count) pair for each minute it was active in, sorted by
 * minute. Memory grows with the minutes a client was active in, never with its lines. Two servers' logs of the
 * same minute add up, in whatever order or split the lines arrive, so the peak is the true one: a flood spread
 * over three web servers shows its whole rate.
 */
import type { WordList } from './sketch.js';

export class MinuteCounts {
  /** minute, count, minute, count, ... sorted by minute. */
  private pairs = new Int32Array(8);
  private n = 0;
  /** The largest count of any minute. */
  peak = 0;

  /** Minutes with at least one request. */
  get size(): number {
    return this.n;
  }

  add(minute: number, count = 1): void {
    const p = this.pairs;
    const n = this.n;
    // Lines mostly arrive in time order: the last minute again, or a later one.
    if (n > 0 && p[2 * n - 2] === minute) {
      this.bump(2 * n - 1, count);
      return;
    }
    if (n === 0 || p[2 * n - 2]! < minute) {
      this.insertAt(n, minute, count);
      return;
    }
    let lo = 0;
    let hi = n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const m = p[2 * mid]!;
      if (m === minute) {
        this.bump(2 * mid + 1, count);
        return;
      }
      if (m < minute) lo = mid + 1;
      else hi = mid - 1;
    }
    this.insertAt(lo, minute, count);
  }

  private bump(at: number, count: number): void {
    const c = (this.pairs[at]! += count);
    if (c > this.peak) this.peak = c;
  }

  private insertAt(i: number, minute: number, count: number): void {
    if (2 * this.n + 2 > this.pairs.length) {
      const bigger = new Int32Array(this.pairs.length * 2);
      bigger.set(this.pairs.subarray(0, 2 * this.n));
      this.pairs = bigger;
    }
    const p = this.pairs;
    if (i < this.n) p.copyWithin(2 * i + 2, 2 * i, 2 * this.n);
    p[2 * i] = minute;
    p[2 * i + 1] = count;
    this.n++;
    if (count > this.peak) this.peak = count;
  }

  forEach(fn: (minute: number, count: number) => void): void {
    for (let i = 0; i < this.n; i++) fn(this.pairs[2 * i]!, this.pairs[2 * i + 1]!);
  }

  /** Adds another client's minutes (a merge walk of the two sorted lists). */
  merge(o: MinuteCounts): void {
    if (o.n === 0) return;
    const a = this.pairs;
    const b = o.pairs;
    const out = new Int32Array(Math.max(4, 2 * (this.n + o.n)));
    let i = 0;
    let j = 0;
    let k = 0;
    let peak = 0;
    while (i < this.n || j < o.n) {
      let m: number;
      let c: number;
      if (j >= o.n || (i < this.n && a[2 * i]! < b[2 * j]!)) {
        m = a[2 * i]!;
        c = a[2 * i + 1]!;
        i++;
      } else if (i >= this.n || b[2 * j]! < a[2 * i]!) {
        m = b[2 * j]!;
        c = b[2 * j + 1]!;
        j++;
      } else {
        m = a[2 * i]!;
        c = a[2 * i + 1]! + b[2 * j + 1]!;
        i++;
        j++;
      }
      out[k++] = m;
      out[k++] = c;
      if (c > peak) peak = c;
    }
    this.pairs = out;
    this.n = k / 2;
    this.peak = peak;
  }

  /** Packs as the pair count then the pairs (see ClientAggregate.pack). */
  packInto(out: WordList): void {
    out.push(this.n);
    for (let i = 0; i < 2 * this.n; i++) out.push(this.pairs[i]!);
  }

  /** Reads what packInto wrote at words[at]; returns the position after it. */
  unpackFrom(words: Int32Array, at: number): number {
    const n = words[at]!;
    this.pairs = new Int32Array(Math.max(4, 2 * n));
    this.pairs.set(words.subarray(at + 1, at + 1 + 2 * n));
    this.n = n;
    this.peak = 0;
    for (let i = 0; i < n; i++) if (this.pairs[2 * i + 1]! > this.peak) this.peak = this.pairs[2 * i + 1]!;
    return at + 1 + 2 * n;
  }
}
