/**
 * A distinct counter in bounded memory: exact up to EXACT_LIMIT values, then a HyperLogLog with 256
 * one-byte registers (standard error about 6.5 %). Most clients never leave the exact phase, so the sketch
 * costs a few dozen bytes for them and at most ~300 bytes for anyone. Sketches merge, so per-worker or
 * per-machine tables can be combined.
 */
const EXACT_LIMIT = 64;
const P = 8;
const M = 1 << P;
const ALPHA = 0.7213 / (1 + 1.079 / M);

/** murmur3's finaliser: FNV's high bits are weak, and HyperLogLog takes its register index from them. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** HyperLogLog's estimate from its registers (with the small-range correction). */
function estimate(regs: Uint8Array): number {
  let sum = 0;
  let zeros = 0;
  for (let i = 0; i < M; i++) {
    const r = regs[i]!;
    sum += 2 ** -r;
    if (r === 0) zeros++;
  }
  const e = (ALPHA * M * M) / sum;
  if (e <= 2.5 * M && zeros > 0) return Math.round(M * Math.log(M / zeros));
  return Math.round(e);
}

/** The M one-byte registers packed four to a word at words[at..], into `into`. */
function unpackRegisters(words: Int32Array, at: number, into: Uint8Array): Uint8Array {
  for (let i = 0; i < M; i += 4) {
    const w = words[at++]!;
    into[i] = w & 255;
    into[i + 1] = (w >>> 8) & 255;
    into[i + 2] = (w >>> 16) & 255;
    into[i + 3] = w >>> 24;
  }
  return into;
}

export class DistinctCounter {
  /**
   * The exact phase: the values in a small open-addressing table (0 marks a free slot: values are hashes,
   * never 0), at most half full, so that a value is found or placed in about one probe; null once a sketch.
   */
  private exact: Int32Array | null = null;
  private n = 0;
  private registers: Uint8Array | null = null;

  /** The value added last: most clients send the same agent (and often the same path) many times running. */
  private last = 0;

  add(hash: number): void {
    if (hash === this.last) return;
    this.last = hash;
    if (this.registers) {
      this.addToRegisters(hash);
      return;
    }
    let table = this.exact;
    if (!table) table = this.exact = new Int32Array(16);
    const mask = table.length - 1;
    let i = Math.imul(hash, 0x9e3779b1) >>> 24;
    for (;;) {
      i &= mask;
      const v = table[i]!;
      if (v === hash) return;
      if (v === 0) break;
      i++;
    }
    if (this.n === EXACT_LIMIT) {
      this.toSketch();
      this.addToRegisters(hash);
      return;
    }
    table[i] = hash;
    if (++this.n * 2 > table.length) this.grow();
  }

  private grow(): void {
    const old = this.exact!;
    const table = new Int32Array(old.length * 2);
    const mask = table.length - 1;
    for (let k = 0; k < old.length; k++) {
      const v = old[k]!;
      if (v === 0) continue;
      let i = Math.imul(v, 0x9e3779b1) >>> 24;
      while (table[i & mask] !== 0) i++;
      table[i & mask] = v;
    }
    this.exact = table;
  }

  private addToRegisters(hash: number): void {
    const h = mix(hash);
    const idx = h >>> (32 - P);
    const rank = Math.min(Math.clz32((h << P) | (1 << (P - 1))) + 1, 32 - P + 1);
    const regs = this.registers!;
    if (rank > regs[idx]!) regs[idx] = rank;
  }

  private toSketch(): void {
    this.registers = new Uint8Array(M);
    this.forEachExact((v) => this.addToRegisters(v));
    this.exact = null;
    this.n = 0;
  }

  private forEachExact(fn: (v: number) => void): void {
    const t = this.exact;
    if (t) for (let k = 0; k < t.length; k++) if (t[k] !== 0) fn(t[k]!);
  }

  count(): number {
    return this.registers ? estimate(this.registers) : this.n;
  }

  merge(other: DistinctCounter): void {
    if (!other.registers) {
      other.forEachExact((v) => this.add(v));
      return;
    }
    if (!this.registers) this.toSketch();
    const mine = this.registers!;
    const theirs = other.registers!;
    for (let i = 0; i < M; i++) if (theirs[i]! > mine[i]!) mine[i] = theirs[i]!;
  }

  /** Appends this counter to `out` as 32-bit words (see unpackFrom): for moving tables between threads. */
  packInto(out: WordList): void {
    out.push(this.last);
    if (this.registers) {
      out.push(-1);
      const r = this.registers;
      for (let i = 0; i < M; i += 4) out.push(r[i]! | (r[i + 1]! << 8) | (r[i + 2]! << 16) | (r[i + 3]! << 24));
    } else {
      out.push(this.n);
      this.forEachExact((v) => out.push(v));
    }
  }

  /** Makes this (new) counter the one packed at words[at]; returns the position after it. */
  unpackFrom(words: Int32Array, at: number): number {
    const last = words[at++]!;
    const n = words[at++]!;
    if (n < 0) {
      this.registers = unpackRegisters(words, at, new Uint8Array(M));
      at += M / 4;
    } else {
      for (let k = 0; k < n; k++) this.add(words[at + k]!);
      at += n;
    }
    this.last = last;
    return at;
  }
}

/** A growable list of 32-bit words. */
export class WordList {
  words = new Int32Array(1 << 12);
  length = 0;

  push(w: number): void {
    if (this.length === this.words.length) {
      const grown = new Int32Array(this.words.length * 2);
      grown.set(this.words);
      this.words = grown;
    }
    this.words[this.length++] = w;
  }

  /** The words, in an array of their own (transferable). */
  take(): Int32Array {
    return this.words.slice(0, this.length);
  }
}
