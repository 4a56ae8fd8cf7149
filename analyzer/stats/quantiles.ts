/**
 * Distribution-free, anytime-valid bounds for quantiles read from sketch bins,
 * and conservative intervals comparing a quantile between two arms.
 *
 * One arm: let C_n be the number of observations at or below the true
 * q-quantile x_q. Each observation falls there with probability q, so C_n is
 * binomial(n, q) and the beta-binomial confidence sequence gives lo ≤ C_n ≤ hi
 * for all n at once with probability ≥ 1 − α. Then the lo-th smallest
 * observation is ≤ x_q and the (hi + 1)-th smallest is > x_q: the bounds are
 * order statistics, valid whatever the latency distribution (continuous
 * distributions assumed; ties only make the bounds conservative).
 *
 * Sketch bins map each value monotonically to a representative within ±a
 * (1%), so the k-th smallest bin value v̂ brackets the true order statistic:
 * v ∈ [v̂/(1 + a), v̂/(1 − a)]. Bounds are widened by exactly that.
 *
 * Two arms: each arm's interval at α/2 (Bonferroni), so both hold together
 * with probability ≥ 1 − α, and then
 *   ratio      ∈ [lo_c / hi_s, hi_c / lo_s],
 *   difference ∈ [lo_c − hi_s, hi_c − lo_s].
 * This is conservative (the arms' errors rarely line up) but needs no
 * density estimate, which quantiles of heavy-tailed latencies make fragile.
 */
import {
  binsCount,
  SKETCH_RELATIVE_ACCURACY,
  sortedBins,
  valueAtRank,
} from "../../contracts/sketch";
import type { SketchBins } from "../window";
import { betaBinomialCountInterval } from "./beta-binomial";
import type { EffectInterval } from "./means";

// p50, p95 and p99 of one arm read the same bins: sort them once, and not at
// all when they come sorted (as the in-memory rollup emits them).
const sortedCache = new WeakMap<SketchBins, Array<[number, number]>>();

function isSorted(bins: SketchBins): boolean {
  for (let i = 0; i < bins.length; i++) {
    const cur = bins[i];
    const prev = bins[i - 1];
    if (!cur || !(cur[1] > 0) || (prev && prev[0] >= cur[0])) return false;
  }
  return true;
}

function sortedOnce(bins: SketchBins): Array<[number, number]> {
  if (isSorted(bins)) return bins;
  let sorted = sortedCache.get(bins);
  if (!sorted) {
    sorted = sortedBins(bins);
    sortedCache.set(bins, sorted);
  }
  return sorted;
}

export interface QuantileBounds {
  n: number;
  /** The sketch's quantile (rank ceil(q·n), as `quantileFromBins`); null when empty. */
  estimate: number | null;
  /** Lower bound (0 when the data cannot bound it yet). */
  lower: number;
  /** Upper bound (Infinity when the data cannot bound it yet). */
  upper: number;
}

/**
 * Anytime-valid (1 − alpha) bounds for the q-quantile of one arm.
 *
 * @example quantileCS(bins, 0.95, 0.05, 1000) // { n, estimate, lower, upper }
 */
export function quantileCS(
  bins: SketchBins,
  q: number,
  alpha: number,
  planned: number,
): QuantileBounds {
  const sorted = sortedOnce(bins);
  const n = binsCount(sorted);
  if (n === 0) return { n, estimate: null, lower: 0, upper: Number.POSITIVE_INFINITY };
  const { lo, hi } = betaBinomialCountInterval(n, q, alpha, planned);
  const a = SKETCH_RELATIVE_ACCURACY;
  const lowValue = lo >= 1 ? valueAtRank(sorted, lo) : null;
  const highValue = hi + 1 <= n ? valueAtRank(sorted, hi + 1) : null;
  return {
    n,
    estimate: valueAtRank(sorted, Math.max(1, Math.ceil(q * n))),
    lower: lowValue === null ? 0 : lowValue / (1 + a),
    upper: highValue === null ? Number.POSITIVE_INFINITY : highValue / (1 - a),
  };
}

export interface QuantileComparison {
  stable: QuantileBounds;
  canary: QuantileBounds;
  effect: EffectInterval | null;
}

type Known = QuantileBounds & { estimate: number };
const known = (b: QuantileBounds): b is Known => b.estimate !== null;

/**
 * A comparison of both arms' q-quantile with simultaneous (1 − alpha)
 * coverage: each arm's bounds at alpha/2 (Bonferroni), and `effect` of the two
 * when both arms have data.
 */
function comparison(effect: (stable: Known, canary: Known) => EffectInterval | null) {
  return (
    stableBins: SketchBins,
    canaryBins: SketchBins,
    q: number,
    alpha: number,
    planned: number,
  ): QuantileComparison => {
    const stable = quantileCS(stableBins, q, alpha / 2, planned);
    const canary = quantileCS(canaryBins, q, alpha / 2, planned);
    if (!known(stable) || !known(canary)) return { stable, canary, effect: null };
    return { stable, canary, effect: effect(stable, canary) };
  };
}

/**
 * Canary/stable ratio of the q-quantile with simultaneous (1 − alpha) coverage.
 * `effect` is null when either arm is empty (or stable's estimate is not positive).
 */
export const quantileRatioCS = comparison((stable, canary) =>
  stable.estimate > 0
    ? {
        estimate: canary.estimate / stable.estimate,
        lower: stable.upper === Number.POSITIVE_INFINITY ? 0 : canary.lower / stable.upper,
        upper: stable.lower > 0 ? canary.upper / stable.lower : Number.POSITIVE_INFINITY,
      }
    : null,
);

/** Canary − stable difference of the q-quantile with simultaneous (1 − alpha) coverage. */
export const quantileDifferenceCS = comparison((stable, canary) => ({
  estimate: canary.estimate - stable.estimate,
  lower: canary.lower - stable.upper,
  upper: canary.upper - stable.lower,
}));
