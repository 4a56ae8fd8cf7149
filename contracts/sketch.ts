/**
 * Log-bucketed quantile sketch (the DDSketch mapping): a value v > 0 falls in
 * bin ceil(log_gamma(v)) with gamma = (1 + a) / (1 - a), so any quantile read
 * back from merged bins is within relative error `a` of a true sample value.
 * Bins are plain counts, so sketches merge by adding counts; the D1 rollups
 * store them as rows and merge them with SUM().
 *
 * @example
 * const bins = new Map<number, number>();
 * for (const v of [12, 15, 300]) addToBins(bins, v);
 * quantileFromBins(bins, 0.5); // ≈ 15 (within 1%)
 */

export const SKETCH_RELATIVE_ACCURACY = 0.01;
const GAMMA = (1 + SKETCH_RELATIVE_ACCURACY) / (1 - SKETCH_RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);
/** Values at or below this share the lowest bin (0.01 ms for latencies). */
export const SKETCH_MIN_VALUE = 0.01;
const MIN_INDEX = Math.ceil(Math.log(SKETCH_MIN_VALUE) / LOG_GAMMA);

/** The bin index for a value. */
export function binIndex(value: number): number {
  if (!(value > SKETCH_MIN_VALUE)) return MIN_INDEX;
  return Math.ceil(Math.log(value) / LOG_GAMMA);
}

/** The representative value of a bin (relative error at most the accuracy). */
export function binValue(index: number): number {
  return (2 * Math.pow(GAMMA, index)) / (GAMMA + 1);
}

export function addToBins(bins: Map<number, number>, value: number, count = 1): void {
  const i = binIndex(value);
  bins.set(i, (bins.get(i) ?? 0) + count);
}

/** Bins as ascending [index, count] pairs. */
export function sortedBins(bins: Iterable<[number, number]>): Array<[number, number]> {
  return [...bins].filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0]);
}

/** Total count of the bins. */
export function binsCount(bins: Iterable<[number, number]>): number {
  let n = 0;
  for (const [, c] of bins) n += c;
  return n;
}

/**
 * The value of the k-th smallest observation (1-based rank), read from bins.
 * Returns null for an empty sketch or a rank out of range.
 */
export function valueAtRank(
  sorted: ReadonlyArray<readonly [number, number]>,
  rank: number,
): number | null {
  if (rank < 1) return null;
  let seen = 0;
  for (const [index, count] of sorted) {
    seen += count;
    if (seen >= rank) return binValue(index);
  }
  return null;
}

/** The q-quantile (0..1) using the lower rank convention ceil(q * n). */
export function quantileFromBins(bins: Iterable<[number, number]>, q: number): number | null {
  const sorted = sortedBins(bins);
  const n = binsCount(sorted);
  if (n === 0) return null;
  return valueAtRank(sorted, Math.max(1, Math.ceil(q * n)));
}

/**
 * Coarse bins per unit group: the step rollups also count each sketched
 * value in the coarse bin of its unit group, `COARSE_SPAN` fine bins (about
 * 27% of value range) wide. That is enough to measure how much a quantile's
 * count varies between groups of users (analyzer/stats/clustered.ts), at a
 * few hundred counts per row instead of a sketch per group.
 */
export const COARSE_SPAN = 12;
const COARSE_OFFSET = 512;

/** The coarse bin of a fine bin index. */
export function coarseBin(index: number): number {
  return Math.floor(index / COARSE_SPAN);
}

/** One number for (unit group, coarse bin): the key of a `group_bins` count. */
export function groupBinKey(group: number, coarse: number): number {
  return group * 2 * COARSE_OFFSET + (coarse + COARSE_OFFSET);
}

/** The (unit group, coarse bin) of a `groupBinKey`. */
export function splitGroupBinKey(key: number): { group: number; coarse: number } {
  const group = Math.floor(key / (2 * COARSE_OFFSET));
  return { group, coarse: key - group * 2 * COARSE_OFFSET - COARSE_OFFSET };
}
