/**
 * Sketch bin counts in a dense array over the range of bins seen so far.
 * Latency bins of one metric span a few hundred consecutive indices, so this
 * is small, merges by adding counts, and lists its bins already in order (the
 * quantile code then needs no sort).
 */
export class DenseBins {
  private lo = 0;
  private counts = new Float64Array(0);

  add(bin: number, count: number): void {
    if (this.counts.length === 0) {
      this.lo = bin - 256;
      this.counts = new Float64Array(512);
    }
    let i = bin - this.lo;
    if (i < 0 || i >= this.counts.length) {
      this.grow(bin);
      i = bin - this.lo;
    }
    this.counts[i] = (this.counts[i] ?? 0) + count;
  }

  /** Adds every count of another sketch. */
  merge(other: DenseBins): void {
    const c = other.counts;
    for (let i = 0; i < c.length; i++) {
      const v = c[i] ?? 0;
      if (v > 0) this.add(other.lo + i, v);
    }
  }

  /** Non-empty bins in ascending order. */
  entries(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    const c = this.counts;
    for (let i = 0; i < c.length; i++) {
      const v = c[i] ?? 0;
      if (v > 0) out.push([this.lo + i, v]);
    }
    return out;
  }

  private grow(bin: number): void {
    const hi = this.lo + this.counts.length;
    const newLo = Math.min(this.lo, bin - 32);
    const newHi = Math.max(hi, bin + 33);
    const size = Math.max(newHi - newLo, this.counts.length * 2);
    const next = new Float64Array(size);
    next.set(this.counts, this.lo - newLo);
    this.lo = newLo;
    this.counts = next;
  }
}
