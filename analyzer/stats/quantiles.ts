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
import { binIndex, binValue, SKETCH_RELATIVE_ACCURACY, sortedBins } from "../../contracts/sketch";
import type { SketchBins } from "../window";
import { betaBinomialCountInterval } from "./beta-binomial";
import type { CsSettings, EffectInterval } from "./means";
import { differenceCS } from "./means";

// p50, p95 and p99 of one arm, their bounds, design-effect cuts and the tail
// test all read the same bins: rank them once per array (sorted, with
// cumulative counts), so each later question is a binary search. Arrays are
// the readers' own (step reader, replay), never changed once read.
interface Ranked {
  /** Ascending bin indices with a count. */
  index: Float64Array;
  /** cum[i]: the count of bins 0..i. */
  cum: Float64Array;
  n: number;
}

const rankedCache = new WeakMap<SketchBins, Ranked>();

function isSorted(bins: SketchBins): boolean {
  for (let i = 0; i < bins.length; i++) {
    const cur = bins[i];
    const prev = bins[i - 1];
    if (!cur || !(cur[1] > 0) || (prev && prev[0] >= cur[0])) return false;
  }
  return true;
}

function ranked(bins: SketchBins): Ranked {
  let r = rankedCache.get(bins);
  if (r) return r;
  const sorted = isSorted(bins) ? bins : sortedBins(bins);
  const index = new Float64Array(sorted.length);
  const cum = new Float64Array(sorted.length);
  let n = 0;
  for (let i = 0; i < sorted.length; i++) {
    const [bin, count] = sorted[i]!;
    n += count;
    index[i] = bin;
    cum[i] = n;
  }
  r = { index, cum, n };
  rankedCache.set(bins, r);
  return r;
}

/** The value of the k-th smallest observation (1-based), null out of range: `valueAtRank` by bisection. */
function atRank(r: Ranked, rank: number): number | null {
  if (rank < 1 || rank > r.n) return null;
  let lo = 0;
  let hi = r.cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (r.cum[mid]! >= rank) hi = mid;
    else lo = mid + 1;
  }
  return binValue(r.index[lo]!);
}

/** The sketch's sample count; ranks the bins once per array. */
export function sketchCount(bins: SketchBins): number {
  return ranked(bins).n;
}

/** The sketch's q-quantile (rank ceil(q·n)), null when empty; ranks the bins once per array. */
export function quantileEstimate(bins: SketchBins, q: number): number | null {
  const r = ranked(bins);
  return r.n === 0 ? null : atRank(r, Math.max(1, Math.ceil(q * r.n)));
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
 * `deff` (≥ 1, analyzer/stats/clustered.ts) is the arm's design effect when
 * its observations cluster by user: the count below the quantile then varies
 * `deff` times more than a binomial's, so the count interval is taken on the
 * effective sample n / deff and its ranks scaled back to n.
 *
 * @example quantileCS(bins, 0.95, 0.05, 1000) // { n, estimate, lower, upper }
 */
export function quantileCS(
  bins: SketchBins,
  q: number,
  alpha: number,
  planned: number,
  deff = 1,
): QuantileBounds {
  const r = ranked(bins);
  const n = r.n;
  if (n === 0) return { n, estimate: null, lower: 0, upper: Number.POSITIVE_INFINITY };
  const estimate = atRank(r, Math.max(1, Math.ceil(q * n)));
  const effective = deff > 1 ? Math.floor(n / deff) : n;
  if (effective < 1) return { n, estimate, lower: 0, upper: Number.POSITIVE_INFINITY };
  const interval = betaBinomialCountInterval(effective, q, alpha, planned);
  const scale = n / effective;
  const lo = Math.floor(interval.lo * scale);
  const hi = effective === n ? interval.hi : Math.ceil((interval.hi + 1) * scale) - 1;
  const a = SKETCH_RELATIVE_ACCURACY;
  const lowValue = lo >= 1 ? atRank(r, lo) : null;
  const highValue = hi + 1 <= n ? atRank(r, hi + 1) : null;
  return {
    n,
    estimate,
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
    deff: { stable: number; canary: number } = { stable: 1, canary: 1 },
  ): QuantileComparison => {
    const stable = quantileCS(stableBins, q, alpha / 2, planned, deff.stable);
    const canary = quantileCS(canaryBins, q, alpha / 2, planned, deff.canary);
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

/** The tail-exceedance comparison behind a quantile's fail verdict (`tailExceedance`). */
export interface TailTest {
  /** The value the canary's tail is counted beyond: the fail bar applied to stable's quantile. */
  threshold: number;
  /** Canary samples strictly beyond the threshold (whole bins only), of `canaryN`. */
  beyond: number;
  canaryN: number;
  /** The share beyond the threshold a canary at the fail bar would have: 1 − q (or q, lower is worse). */
  reference: number;
  /** canary share beyond − reference, with its confidence-sequence interval. */
  effect: EffectInterval;
}

/**
 * A two-sample test of tail exceedance: the canary's share of samples beyond
 * the fail bar applied to stable's q-quantile (`bar × q̂_s` for a ratio,
 * `q̂_s + bar` for a difference), against the share 1 − q a canary exactly at
 * the fail bar would have (q when lower is worse). The canary side is a
 * proportion with its own (design-effect scaled) variance; the stable side's
 * uncertainty enters through q̂_s, whose rank varies like a proportion of
 * q(1 − q)/n_s, which near the bar moves the canary share by as much, so that
 * term is added too. The interval is the asymptotic confidence sequence of
 * `differenceCS`, two-sided at `cs.alpha`.
 *
 * Much faster than the exact order-statistic bounds (two one-sample
 * intervals joined by Bonferroni, each at half the level) on a shift confined
 * to the tail, because it spends all its power on the one question a p95
 * regression asks: are more canary requests slow? docs/statistics.md ›
 * "Users, not requests" has the measured difference. Only bins wholly beyond the
 * threshold count, which can only understate the canary's share.
 *
 * @example
 * tailExceedance(stableBins, canaryBins, { q: 0.95, bar: 1.05, kind: "ratio", higherIsWorse: true },
 *   { stable: 1, canary: 1 }, { alpha: 0.01, planned: 1000 })?.effect.lower // > 0: the tail is heavier
 */
export function tailExceedance(
  stableBins: SketchBins,
  canaryBins: SketchBins,
  test: { q: number; bar: number; kind: "ratio" | "difference"; higherIsWorse: boolean },
  deff: { stable: number; canary: number },
  cs: CsSettings,
): TailTest | null {
  const stable = ranked(stableBins);
  const canary = ranked(canaryBins);
  const ns = stable.n;
  const nc = canary.n;
  if (ns === 0 || nc === 0) return null;
  const qs = atRank(stable, Math.max(1, Math.ceil(test.q * ns)));
  if (qs === null) return null;
  const threshold = test.kind === "ratio" ? qs * test.bar : qs + test.bar;
  if (!(threshold > 0)) return null;
  const edge = binIndex(threshold);
  // Bin i holds (γ^(i−1), γ^i]: above `edge` lies wholly above the threshold,
  // below `edge` wholly below it. Counts through the last bin at or below
  // `edge` (or before the first at or above it) come from the cumulative counts.
  const at = (below: boolean) => {
    let lo = 0;
    let hi = canary.index.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (below ? canary.index[mid]! < edge : canary.index[mid]! <= edge) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : canary.cum[lo - 1]!;
  };
  const beyond = test.higherIsWorse ? nc - at(false) : at(true);
  const reference = test.higherIsWorse ? 1 - test.q : test.q;
  const p = (beyond + 1) / (nc + 2);
  const effect = differenceCS(
    { n: ns, mean: reference, variance: reference * (1 - reference) * deff.stable },
    { n: nc, mean: beyond / nc, variance: p * (1 - p) * deff.canary },
    cs,
  );
  return { threshold, beyond, canaryN: nc, reference, effect };
}
