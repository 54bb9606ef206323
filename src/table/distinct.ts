/**
 * Distinct counters for many sets at once (a client's paths, queries and agents), in one arena: exact up to
 * EXACT_LIMIT values (an open-addressing table, at most half full, so a value is found or placed in about one
 * probe), then a HyperLogLog of 256 one-byte registers (standard error about 6.5 %). Most clients never
 * leave the exact phase. Sets merge exactly as if one pass had seen both sets of values, in any order.
 *
 * An exact set that is only read (written to a file, merged into an empty set) is packed: its values end to
 * end, no empty slot (a table is a third full on average, so a packed set is a third the size). The first
 * value added to a packed set makes it a table again.
 */
import { Arena, grown } from './arena.js';

const EXACT_LIMIT = 64;
const P = 8;
const M = 1 << P;
const ALPHA = 0.7213 / (1 + 1.079 / M);
/** `cap` of a set that is a sketch; 0 is an empty set with no block yet. */
const SKETCH = -1;
/** `cap` of an exact set packed: its `n` values end to end. */
const PACKED = -2;

/** murmur3's finaliser: FNV's high bits are weak, and HyperLogLog takes its register index from them. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** HyperLogLog's estimate from the registers at regs[at..at+M) (with the small-range correction). */
function estimate(regs: Uint8Array, at: number): number {
  let sum = 0;
  let zeros = 0;
  for (let i = 0; i < M; i++) {
    const r = regs[at + i]!;
    sum += 2 ** -r;
    if (r === 0) zeros++;
  }
  const e = (ALPHA * M * M) / sum;
  if (e <= 2.5 * M && zeros > 0) return Math.round(M * Math.log(M / zeros));
  return Math.round(e);
}

/** The bytes of an arena's ints (the registers of sketches are bytes). */
const bytesOf = (ints: Int32Array) => new Uint8Array(ints.buffer, ints.byteOffset, ints.byteLength);

const slotOf = (v: number) => Math.imul(v, 0x9e3779b1) >>> 24;

/** Ints in a set's block: its table, its values packed, or the registers of a sketch. */
const blockSize = (cap: number, n: number) => (cap === SKETCH ? M / 4 : cap === PACKED ? n : cap);

/** What a set of this kind becomes when it is copied: an exact set packed, a sketch (or nothing) as it is. */
const copied = (cap: number) => (cap > 0 ? PACKED : cap);

/** The smallest table for n values at most half full. */
function tableFor(n: number): number {
  let cap = 4;
  while (n * 2 > cap) cap *= 2;
  return cap;
}

export interface DistinctParts {
  readonly ints: Int32Array;
  readonly off: Int32Array;
  readonly cap: Int32Array;
  readonly n: Int32Array;
  readonly last: Int32Array;
}

export class DistinctSets {
  private arena: Arena;
  private bytes: Uint8Array;
  /** Per set: block offset, table size (SKETCH for registers), exact count, the value added last. */
  private off: Int32Array;
  private cap: Int32Array;
  private n: Int32Array;
  private last: Int32Array;

  /** `ints`: room to start with in the arena (untouched room costs no memory). */
  constructor(sets = 1024, ints = sets >= 3072 ? 1 << 18 : Math.max(256, sets * 32)) {
    this.arena = new Arena(ints);
    this.bytes = bytesOf(this.arena.ints);
    this.off = new Int32Array(sets);
    this.cap = new Int32Array(sets);
    this.n = new Int32Array(sets);
    this.last = new Int32Array(sets);
  }

  /** Room for `sets` sets. */
  reserve(sets: number): void {
    this.off = grown(this.off, sets);
    this.cap = grown(this.cap, sets);
    this.n = grown(this.n, sets);
    this.last = grown(this.last, sets);
  }

  private alloc(n: number): number {
    const at = this.arena.alloc(n);
    if (this.bytes.buffer !== this.arena.ints.buffer) this.bytes = bytesOf(this.arena.ints);
    return at;
  }

  add(s: number, hash: number): void {
    if (hash === this.last[s]) return;
    this.last[s] = hash;
    let cap = this.cap[s]!;
    if (cap === SKETCH) {
      this.addToRegisters(this.off[s]!, hash);
      return;
    }
    if (cap === 0) {
      cap = 4;
      this.off[s] = this.alloc(cap);
      this.cap[s] = cap;
    } else if (cap === PACKED) {
      cap = tableFor(this.n[s]!);
      this.regrow(s, cap);
    }
    const ints = this.arena.ints;
    const base = this.off[s]!;
    const mask = cap - 1;
    let i = slotOf(hash);
    for (;;) {
      i &= mask;
      const v = ints[base + i]!;
      if (v === hash) return;
      if (v === 0) break;
      i++;
    }
    const n = this.n[s]!;
    if (n === EXACT_LIMIT) {
      this.toSketch(s);
      this.addToRegisters(this.off[s]!, hash);
      return;
    }
    ints[base + i] = hash;
    this.n[s] = n + 1;
    if ((n + 1) * 2 > cap) this.regrow(s, cap * 2);
  }

  private insert(base: number, cap: number, v: number): void {
    const ints = this.arena.ints;
    const mask = cap - 1;
    let i = slotOf(v);
    while (ints[base + (i & mask)] !== 0) i++;
    ints[base + (i & mask)] = v;
  }

  /** Set s as a table of `cap` slots (from a smaller table, or from its values packed). */
  private regrow(s: number, cap: number): void {
    const at = this.alloc(cap);
    const ints = this.arena.ints;
    const old = this.off[s]!;
    const size = blockSize(this.cap[s]!, this.n[s]!);
    for (let k = 0; k < size; k++) {
      const v = ints[old + k]!;
      if (v !== 0) this.insert(at, cap, v);
    }
    this.off[s] = at;
    this.cap[s] = cap;
  }

  /**
   * Writes set `from` of `other` as a copy holds it (see `copied`) at `into[at..]`: a sketch's registers as they
   * are, an exact set's values packed (its count of them, no more).
   */
  private static copy(other: DistinctSets, from: number, into: Int32Array, at: number): void {
    const theirs = other.arena.ints;
    const o = other.off[from]!;
    const cap = other.cap[from]!;
    if (cap === SKETCH) {
      into.set(theirs.subarray(o, o + M / 4), at);
      return;
    }
    const n = other.n[from]!;
    const size = blockSize(cap, n);
    for (let i = o, k = at; i < o + size && k < at + n; i++) {
      const v = theirs[i]!;
      if (v !== 0) into[k++] = v;
    }
  }

  private addToRegisters(at: number, hash: number): void {
    const h = mix(hash);
    const idx = at * 4 + (h >>> (32 - P));
    const rank = Math.min(Math.clz32((h << P) | (1 << (P - 1))) + 1, 32 - P + 1);
    if (rank > this.bytes[idx]!) this.bytes[idx] = rank;
  }

  private toSketch(s: number): void {
    const values: number[] = [];
    this.forEachExact(s, (v) => values.push(v));
    const at = this.alloc(M / 4);
    this.off[s] = at;
    this.cap[s] = SKETCH;
    this.n[s] = 0;
    for (const v of values) this.addToRegisters(at, v);
  }

  private forEachExact(s: number, fn: (v: number) => void): void {
    const cap = this.cap[s]!;
    if (cap === 0 || cap === SKETCH) return;
    const ints = this.arena.ints;
    const base = this.off[s]!;
    const size = blockSize(cap, this.n[s]!);
    for (let k = 0; k < size; k++) if (ints[base + k] !== 0) fn(ints[base + k]!);
  }

  count(s: number): number {
    return this.cap[s] === SKETCH ? estimate(this.bytes, this.off[s]! * 4) : this.n[s]!;
  }

  /** Adds set `from` of `other` into set `s`. */
  mergeFrom(s: number, other: DistinctSets, from: number): void {
    const theirCap = other.cap[from]!;
    if (theirCap === 0) return;
    if (this.cap[s] === 0) {
      // Into an empty set: the registers as they are, or the values packed (none added one by one).
      const n = other.n[from]!;
      const kind = copied(theirCap);
      const at = this.alloc(blockSize(kind, n));
      DistinctSets.copy(other, from, this.arena.ints, at);
      this.off[s] = at;
      this.cap[s] = kind;
      this.n[s] = n;
      this.last[s] = other.last[from]!;
      return;
    }
    if (theirCap !== SKETCH) {
      const theirs = other.arena.ints;
      const at = other.off[from]!;
      const size = blockSize(theirCap, other.n[from]!);
      for (let k = 0; k < size; k++) if (theirs[at + k] !== 0) this.add(s, theirs[at + k]!);
      return;
    }
    if (this.cap[s] !== SKETCH) this.toSketch(s);
    const mine = this.off[s]! * 4;
    const theirs = other.off[from]! * 4;
    const a = this.bytes;
    const b = other.bytes;
    for (let i = 0; i < M; i++) if (b[theirs + i]! > a[mine + i]!) a[mine + i] = b[theirs + i]!;
  }

  /**
   * The first `sets` sets as flat arrays of their own, to move to another thread or write to a file (see
   * fromParts): only the blocks in use, one after another, exact sets packed (a block left behind when its set
   * grew is not copied).
   */
  parts(sets: number): DistinctParts {
    const cap = this.cap.slice(0, sets);
    const n = this.n.slice(0, sets);
    let size = 0;
    for (let s = 0; s < sets; s++) size += blockSize(copied(cap[s]!), n[s]!);
    const ints = new Int32Array(size);
    const off = new Int32Array(sets);
    let at = 0;
    for (let s = 0; s < sets; s++) {
      if (cap[s] === 0) continue;
      off[s] = at;
      DistinctSets.copy(this, s, ints, at);
      cap[s] = copied(cap[s]!);
      at += blockSize(cap[s]!, n[s]!);
    }
    return { ints, off, cap, n, last: this.last.slice(0, sets) };
  }

  /** Whether every set's block lies inside the arena, of a size a set can have (null), or which does not. */
  static check(p: DistinctParts): string | null {
    for (let s = 0; s < p.off.length; s++) {
      const cap = p.cap[s]!;
      const n = p.n[s]!;
      if (cap < PACKED || n < 0 || n > EXACT_LIMIT) return `distinct set ${s} is neither a table, packed values nor a sketch`;
      const size = blockSize(cap, n);
      if (
        size > 1024 ||
        (cap > 0 && (cap & (cap - 1)) !== 0) ||
        (cap !== PACKED && n > Math.max(0, cap)) ||
        (size > 0 && (p.off[s]! < 0 || p.off[s]! + size > p.ints.length))
      )
        return `distinct set ${s} lies outside distinct.ints`;
    }
    return null;
  }

  /** Sets over the arrays as they are (not copied). */
  static fromParts(p: DistinctParts): DistinctSets {
    const d = new DistinctSets(16);
    d.arena = Arena.from(p.ints);
    d.bytes = bytesOf(p.ints);
    d.off = p.off;
    d.cap = p.cap;
    d.n = p.n;
    d.last = p.last;
    return d;
  }
}
