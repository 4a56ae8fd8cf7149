/**
 * Error budget for fail verdicts across metrics and slices (Bonferroni).
 *
 * Every critical metric is tested on every slice, and any one false fail
 * rolls back or excludes a healthy canary. The family-wise budget alpha is
 * split in two halves: one for the `all` slice (the rollback decision) and one
 * shared by all other slices (exclusions), each divided evenly among the
 * critical metrics. Keeping `all` apart means a route with fifty countries does
 * not pay fifty-fold for its main rollback test. Without other slices the
 * `all` slice gets the whole budget.
 *
 * Pass verdicts need no split: advancing requires *every* critical metric to
 * pass, an intersection-union test, which is level alpha as it stands. The
 * same interval serves both verdicts, so passes are slightly conservative.
 */

export interface AlphaSplit {
  /** Per test on the `all` slice. */
  all: number;
  /** Per test on any other slice. */
  other: number;
}

/**
 * @example splitAlpha(0.05, 2, 10) // { all: 0.0125, other: 0.00125 }
 */
export function splitAlpha(
  alpha: number,
  criticalMetrics: number,
  otherSlices: number,
): AlphaSplit {
  const k = Math.max(1, criticalMetrics);
  if (otherSlices <= 0) return { all: alpha / k, other: alpha / k };
  return { all: alpha / 2 / k, other: alpha / 2 / (k * otherSlices) };
}
