/**
 * Seeded pseudo-random numbers for simulations and tests: mulberry32 (the
 * repository's one generator, shared with the simulated origins) and the
 * distributions the traffic generator draws from.
 */

/** A function returning uniform numbers in [0, 1). */
export type Random = () => number;

/** mulberry32 (contracts/random.mjs): the same seed always yields the same sequence. */
export { mulberry32 } from "../../contracts/random.mjs";

/** A standard normal draw (Box-Muller; one of the pair is discarded for simplicity). */
export function normal(rand: Random): number {
  const u = 1 - rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A log-normal draw with the given median and log-scale sigma. */
export function logNormal(rand: Random, median: number, sigma: number): number {
  return median * Math.exp(sigma * normal(rand));
}

/** Index of the first cumulative entry above `x`, or the last (binary search; ascending entries). */
export function indexAbove(cumulative: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x < cumulative[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Index drawn from cumulative weights (ascending, last = total). */
export function pickCumulative(rand: Random, cumulative: ArrayLike<number>): number {
  const total = cumulative[cumulative.length - 1] ?? 0;
  return indexAbove(cumulative, rand() * total);
}
