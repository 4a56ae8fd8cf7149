/**
 * Sample-ratio mismatch: is the canary's share of requests the share its
 * weight promises? A mismatch means assignment or logging is broken (e.g.
 * canary errors dropped before they are counted), and then no metric
 * comparison can be trusted.
 *
 * The test is the sequential SRM test of Lindon & Malek (2022, "Anytime-valid
 * inference for multinomial count data") for two arms: the beta-binomial
 * mixture martingale of the canary count against p0 = weight / 100. It is
 * anytime-valid, so checking every minute keeps the false-alarm rate at
 * alpha; 1/M is reported as an anytime p-value. The default alpha is 0.001,
 * the usual SRM strictness.
 */
import { betaBinomialLogMartingale, betaConcentrationFor } from "./beta-binomial";

/** Requests at which the test is most sensitive (about a 10-minute step at 1%). */
export const SRM_PLANNED_REQUESTS = 100_000;

export interface SrmResult {
  stable: number;
  canary: number;
  /** Canary share promised by the weight, 0..1. */
  expectedShare: number;
  observedShare: number;
  /** ln of the mixture martingale (the e-value): evidence against the promised share. */
  logEValue: number;
  /** Anytime-valid p-value, min(1, 1/e). */
  pValue: number;
  mismatch: boolean;
}

/**
 * Tests realized counts against the expected canary share (0 < share < 1).
 *
 * @example srmTest(9_000, 1_000, 0.05, 0.001).mismatch // true: 10% canary at weight 5%
 */
export function srmTest(
  stable: number,
  canary: number,
  expectedShare: number,
  alpha: number,
  planned = SRM_PLANNED_REQUESTS,
): SrmResult {
  const n = stable + canary;
  const logE =
    n > 0
      ? betaBinomialLogMartingale(canary, n, expectedShare, betaConcentrationFor(alpha, planned))
      : 0;
  return {
    stable,
    canary,
    expectedShare,
    observedShare: n > 0 ? canary / n : 0,
    logEValue: logE,
    pValue: Math.min(1, Math.exp(-logE)),
    mismatch: logE >= Math.log(1 / alpha),
  };
}
