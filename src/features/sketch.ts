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

export class DistinctCounter {
  private exact: number[] | null = [];
  private registers: Uint8Array | null = null;

  /** The value added last: most clients send the same agent (and often the same path) many times running. */
  private last = 0;

  add(hash: number): void {
    if (hash === this.last) return;
    this.last = hash;
    if (this.exact) {
      if (this.exact.includes(hash)) return;
      this.exact.push(hash);
      if (this.exact.length > EXACT_LIMIT) this.toSketch();
      return;
    }
    this.addToRegisters(hash);
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
    for (const h of this.exact!) this.addToRegisters(h);
    this.exact = null;
  }

  count(): number {
    if (this.exact) return this.exact.length;
    const regs = this.registers!;
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < M; i++) {
      const r = regs[i]!;
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const estimate = (ALPHA * M * M) / sum;
    if (estimate <= 2.5 * M && zeros > 0) return Math.round(M * Math.log(M / zeros));
    return Math.round(estimate);
  }

  merge(other: DistinctCounter): void {
    if (other.exact) {
      for (const h of other.exact) this.add(h);
      return;
    }
    if (this.exact) this.toSketch();
    const mine = this.registers!;
    const theirs = other.registers!;
    for (let i = 0; i < M; i++) if (theirs[i]! > mine[i]!) mine[i] = theirs[i]!;
  }
}
