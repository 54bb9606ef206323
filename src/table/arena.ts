/**
 * A growable Int32Array that hands out blocks by bumping a pointer: the variable-size parts of the client
 * table (distinct values, requests per minute) live in a few of these instead of in a typed array per
 * client, which kept the garbage collector busy with hundreds of thousands of small objects. A block that
 * outgrows its place moves to the end (it at least doubles, so the space left behind is at most what is in
 * use); `compact` reclaims it.
 */
export class Arena {
  ints: Int32Array;
  top = 0;

  constructor(initial = 1 << 18) {
    this.ints = new Int32Array(initial);
  }

  /** A zeroed block of `n` ints; its offset. The arena's array may be replaced: re-read `ints` after. */
  alloc(n: number): number {
    if (this.top + n > this.ints.length) {
      let len = Math.max(16, this.ints.length * 2);
      while (this.top + n > len) len *= 2;
      const grown = new Int32Array(len);
      grown.set(this.ints.subarray(0, this.top));
      this.ints = grown;
    }
    const at = this.top;
    this.top += n;
    return at;
  }

  /** An arena over `ints` as they are (not copied; the first block allocated after moves them). */
  static from(ints: Int32Array): Arena {
    const a = new Arena(0);
    a.ints = ints;
    a.top = ints.length;
    return a;
  }
}

type Column = Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array;

/** `a` in an array of its kind of at least `n` elements (doubling), its values kept. */
export function grown<T extends Column>(a: T, n: number): T {
  if (n <= a.length) return a;
  let len = Math.max(1, a.length);
  while (len < n) len *= 2;
  const b = new (a.constructor as new (n: number) => T)(len);
  b.set(a);
  return b;
}
