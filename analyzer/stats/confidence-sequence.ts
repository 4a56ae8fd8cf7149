/**
 * The asymptotic confidence sequence for a mean (Waudby-Smith, Arnold, Wu,
 * Howard, Ramdas, "Time-uniform central limit theory and asymptotic confidence
 * sequences", 2023; the same boundary GrowthBook's sequential testing uses).
 *
 * With t observations of per-observation standard deviation σ, the two-sided
 * (1 − α) confidence sequence is x̄_t ± r_t with
 *
 *   r_t = σ · sqrt( 2 (tρ² + 1) / (t² ρ²) · ln( sqrt(tρ² + 1) / α ) ).
 *
 * It comes from Robbins' normal-mixture martingale with mixing variance ρ²:
 * by Ville's inequality the mean stays inside for *all* t at once with
 * probability ≥ 1 − α, so the analyzer may look every minute without the
 * false-alarm inflation of repeated fixed-n tests. ρ only moves where the
 * boundary is tightest: `rhoSquaredFor` picks the ρ that minimises r_t at a
 * planned sample size t*.
 */

/**
 * The mixing parameter ρ² that makes the boundary tightest at `planned`
 * observations: ρ² = (−2 ln α + ln(−2 ln α + 1)) / t*.
 *
 * @example rhoSquaredFor(0.05, 1000) // ≈ 0.00794
 */
export function rhoSquaredFor(alpha: number, planned: number): number {
  const l = -2 * Math.log(alpha);
  return (l + Math.log(l + 1)) / planned;
}

/**
 * The half-width multiplier r_t / σ of the normal-mixture confidence sequence.
 * Infinite for t ≤ 0.
 *
 * @example csMultiplier(1000, 0.05, rhoSquaredFor(0.05, 1000)) // ≈ 0.0960 (fixed-n 1.96/sqrt(1000) ≈ 0.0620)
 */
export function csMultiplier(t: number, alpha: number, rhoSq: number): number {
  if (!(t > 0)) return Number.POSITIVE_INFINITY;
  const tr = t * rhoSq;
  return Math.sqrt(((2 * (tr + 1)) / (t * t * rhoSq)) * Math.log(Math.sqrt(tr + 1) / alpha));
}

/**
 * Half-width of the confidence sequence for a statistic whose variance is
 * `variance` after `t` observations (variance = σ²/t for a plain mean).
 * Equivalent to σ · csMultiplier(t) with σ² = variance · t.
 */
export function csHalfWidth(variance: number, t: number, alpha: number, rhoSq: number): number {
  if (!(t > 0)) return Number.POSITIVE_INFINITY;
  return Math.sqrt(Math.max(0, variance) * t) * csMultiplier(t, alpha, rhoSq);
}
