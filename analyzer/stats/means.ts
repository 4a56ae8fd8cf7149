/**
 * Two-sample comparisons of means and rates with the asymptotic confidence
 * sequence of `confidence-sequence.ts`.
 *
 * - Difference c̄ − s̄: variance V = v_c/n_c + v_s/n_s.
 * - Ratio c̄ / s̄: the delta method on the log ratio, V = v_c/(n_c c̄²) + v_s/(n_s s̄²),
 *   interval exp(ln(c̄/s̄) ± r). The log scale keeps the interval positive and
 *   is the usual choice for relative lifts (Fieller's interval agrees to first
 *   order and is unbounded when s̄ is not clearly positive).
 *
 * The boundary's "time" is the smaller arm's count. Within a rollout step the
 * split between the arms is fixed, so this is a fixed rescaling of the total
 * count used by the inverse-propensity form of the two-sample sequence (and ρ
 * is tuned for a planned size of that smaller arm).
 *
 * Rates (0/1 metrics) use the Laplace-smoothed p̃ = (x + 1)/(n + 2) for the
 * variance only, so an arm with no events yet does not claim zero variance.
 */
import type { MetricSums } from "../window";
import { csHalfWidth, rhoSquaredFor } from "./confidence-sequence";

export type MeanKind = "rate" | "mean";

/** Count, mean and per-observation variance of one arm. */
export interface ArmMoments {
  n: number;
  mean: number;
  variance: number;
}

/** A point estimate with a confidence interval (or confidence-sequence section). */
export interface EffectInterval {
  estimate: number;
  lower: number;
  upper: number;
}

/** Moments from sums; null when there are no observations. */
export function armMoments(s: MetricSums, kind: MeanKind): ArmMoments | null {
  if (s.n <= 0) return null;
  const mean = s.sum / s.n;
  if (kind === "rate") {
    const p = (s.sum + 1) / (s.n + 2);
    return { n: s.n, mean, variance: p * (1 - p) };
  }
  const variance = s.n > 1 ? Math.max(0, (s.sumSq - (s.sum * s.sum) / s.n) / (s.n - 1)) : 0;
  return { n: s.n, mean, variance };
}

/** Settings shared by every sequential interval of one analysis. */
export interface CsSettings {
  /** Two-sided error rate: the interval holds at all times with probability ≥ 1 − alpha. */
  alpha: number;
  /** Sample size (of the smaller arm) at which the boundary is tightest. */
  planned: number;
}

/**
 * Confidence sequence for canary mean − stable mean.
 *
 * @example
 * differenceCS({ n: 90000, mean: 0.01, variance: 0.0099 }, { n: 1000, mean: 0.03, variance: 0.0291 },
 *   { alpha: 0.05, planned: 1000 }); // { estimate: 0.02, lower: ≈0.0036, upper: ≈0.0364 }
 */
export function differenceCS(
  stable: ArmMoments,
  canary: ArmMoments,
  cs: CsSettings,
): EffectInterval {
  const v = canary.variance / canary.n + stable.variance / stable.n;
  const t = Math.min(stable.n, canary.n);
  const r = csHalfWidth(v, t, cs.alpha, rhoSquaredFor(cs.alpha, cs.planned));
  const estimate = canary.mean - stable.mean;
  return { estimate, lower: estimate - r, upper: estimate + r };
}

/**
 * Confidence sequence for canary mean / stable mean (delta method on the log
 * ratio); null when either mean is not positive.
 */
export function ratioCS(
  stable: ArmMoments,
  canary: ArmMoments,
  cs: CsSettings,
): EffectInterval | null {
  if (!(stable.mean > 0) || !(canary.mean > 0)) return null;
  const v =
    canary.variance / (canary.n * canary.mean * canary.mean) +
    stable.variance / (stable.n * stable.mean * stable.mean);
  const t = Math.min(stable.n, canary.n);
  const r = csHalfWidth(v, t, cs.alpha, rhoSquaredFor(cs.alpha, cs.planned));
  const log = Math.log(canary.mean / stable.mean);
  return { estimate: Math.exp(log), lower: Math.exp(log - r), upper: Math.exp(log + r) };
}
