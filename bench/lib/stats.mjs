// @ts-check
/**
 * Statistics of interleaved benchmark rounds: each round yields one value per
 * target (a round's median, p99, requests per second); a target's figure is
 * the median over rounds, with the rounds' range as its spread. Ratios and
 * differences between two targets are taken per round first (both were
 * measured back to back), then summarized the same way.
 */

/**
 * Nearest-rank quantile of unsorted values (NaN when empty).
 * @param {readonly number[]} values
 * @param {number} q
 */
export function quantile(values, q) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return /** @type {number} */ (sorted[rank - 1]);
}

/** @param {readonly number[]} values */
export const median = (values) => {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? /** @type {number} */ (s[mid]) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

/**
 * @typedef {{ median: number, min: number, max: number, rounds: number[] }} Spread
 */

/**
 * @param {readonly number[]} rounds
 * @returns {Spread}
 */
export function spread(rounds) {
  return {
    median: median(rounds),
    min: Math.min(...rounds),
    max: Math.max(...rounds),
    rounds: [...rounds],
  };
}

/**
 * Per-round pairs combined, then summarized.
 * @param {readonly number[]} a
 * @param {readonly number[]} b
 * @param {(x: number, y: number) => number} f
 */
export function paired(a, b, f) {
  return spread(a.map((x, i) => f(x, /** @type {number} */ (b[i]))));
}

/**
 * The order of targets in round `r`: rotated each round so no target always
 * runs first (or right after the same neighbour).
 * @template T
 * @param {readonly T[]} items
 * @param {number} r
 */
export function rotation(items, r) {
  const k = r % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
