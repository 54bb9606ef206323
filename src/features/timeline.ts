/**
 * Requests over time in bounded memory: BUCKETS counters whose width (in minutes, a power of two) doubles
 * whenever a request falls past the last one. Bucket starts are aligned to multiples of the width, so
 * timelines of different widths can be summed into a common one for charts.
 */
export class Timeline {
  counts: Uint32Array;
  /** First minute of bucket 0 (a multiple of `width`). */
  start = -1;
  width = 1;

  constructor(readonly buckets = 48) {
    this.counts = new Uint32Array(buckets);
  }

  add(minute: number, n = 1): void {
    if (this.start < 0) this.start = minute - (minute % this.width);
    // A minute before the first one seen moves the start back (the shape then only depends on the first and
    // last minute, not on the order the lines came in).
    if (minute < this.start) this.extendBack(minute);
    while (minute >= this.start + this.width * this.buckets) this.coarsen();
    this.counts[Math.floor((minute - this.start) / this.width)]! += n;
  }

  private extendBack(minute: number): void {
    let last = -1;
    for (let i = this.buckets - 1; i >= 0; i--)
      if (this.counts[i]) {
        last = this.start + i * this.width;
        break;
      }
    if (last < 0) last = this.start;
    // Widen until both the new first minute and the last counted one fit.
    while (last >= minute - (minute % this.width) + this.width * this.buckets) this.coarsen();
    const start = minute - (minute % this.width);
    const shift = (this.start - start) / this.width;
    const next = new Uint32Array(this.buckets);
    for (let i = 0; i + shift < this.buckets; i++) next[i + shift] = this.counts[i]!;
    this.counts = next;
    this.start = start;
  }

  private coarsen(): void {
    const width = this.width * 2;
    const start = this.start - (this.start % width);
    const next = new Uint32Array(this.buckets);
    for (let i = 0; i < this.buckets; i++) {
      const c = this.counts[i]!;
      if (c) next[Math.floor((this.start + i * this.width - start) / width)]! += c;
    }
    this.counts = next;
    this.start = start;
    this.width = width;
  }

  /** [bucket start minute, count] pairs rebinned to `width` (a multiple of this timeline's width). */
  rebin(width: number): Map<number, number> {
    const out = new Map<number, number>();
    if (this.start < 0) return out;
    for (let i = 0; i < this.buckets; i++) {
      const c = this.counts[i]!;
      if (!c) continue;
      const m = this.start + i * this.width;
      const key = m - (m % width);
      out.set(key, (out.get(key) ?? 0) + c);
    }
    return out;
  }

  merge(o: Timeline): void {
    if (o.start < 0) return;
    for (let i = 0; i < o.buckets; i++) if (o.counts[i]) this.add(o.start + i * o.width, o.counts[i]);
  }
}
