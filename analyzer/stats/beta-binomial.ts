/**
 * The beta-binomial mixture martingale for a binomial proportion, the exact
 * (non-asymptotic) anytime-valid test behind the quantile bounds and the
 * sample-ratio check.
 *
 * For n Bernoulli trials with s successes and null proportion p0, mixing the
 * likelihood ratio over p ~ Beta(a, b) gives
 *
 *   M_n(s) = B(a + s, b + n − s) / B(a, b) / (p0^s (1 − p0)^(n−s)),
 *
 * a nonnegative martingale with M_0 = 1 when p = p0. Ville's inequality gives
 * P(∃n: M_n ≥ 1/α) ≤ α, so {s : M_n(s) < 1/α} is a confidence sequence for the
 * count and 1/M_n an anytime-valid p-value (Howard & Ramdas 2022 for
 * quantiles; Lindon & Malek 2022 use the Dirichlet-multinomial form for
 * sample-ratio mismatch). ln M_n is convex in s, so the set is an interval.
 *
 * The prior Beta(p0·k, (1 − p0)·k) is centred on p0; its concentration k plays
 * the role of 1/ρ² in the normal mixture: k = t* ÷ (−2 ln α + ln(−2 ln α + 1)) − 1
 * makes the bounds tightest near t* trials (at least 1).
 */
import { rhoSquaredFor } from "./confidence-sequence";
import { lbeta } from "./lgamma";

/** Prior concentration k tuned for `planned` trials (see module note). */
export function betaConcentrationFor(alpha: number, planned: number): number {
  return Math.max(1, 1 / rhoSquaredFor(alpha, planned) - 1);
}

/** ln M_n(s) for s successes in n trials against p0, prior Beta(p0·k, (1 − p0)·k). */
export function betaBinomialLogMartingale(s: number, n: number, p0: number, k: number): number {
  const a = p0 * k;
  const b = (1 - p0) * k;
  return lbeta(a + s, b + n - s) - lbeta(a, b) - s * Math.log(p0) - (n - s) * Math.log(1 - p0);
}

/** Integer interval [lo, hi] of success counts not rejected at level alpha. */
export interface CountInterval {
  lo: number;
  hi: number;
}

/**
 * The counts s in 0..n with M_n(s) < 1/alpha, for 0 < p0 < 1.
 *
 * @example betaBinomialCountInterval(1000, 0.95, 0.05, 1000) // { lo: 928, hi: 969 }
 */
export function betaBinomialCountInterval(
  n: number,
  p0: number,
  alpha: number,
  planned: number,
): CountInterval {
  if (n <= 0) return { lo: 0, hi: 0 };
  const k = betaConcentrationFor(alpha, planned);
  const limit = Math.log(1 / alpha);
  const inside = (s: number) => betaBinomialLogMartingale(s, n, p0, k) < limit;
  // The minimum of the convex ln M sits near the posterior-free centre n·p0.
  let centre = Math.min(n, Math.max(0, Math.round(n * p0)));
  if (!inside(centre)) {
    const alt = [Math.floor(n * p0), Math.ceil(n * p0)].find((s) => s >= 0 && s <= n && inside(s));
    if (alt === undefined) return { lo: centre, hi: centre - 1 };
    centre = alt;
  }
  // Smallest inside count in [0, centre] and largest in [centre, n]: gallop
  // out from the centre in steps of about one standard deviation, then bisect.
  const sd = Math.max(1, Math.ceil(Math.sqrt(n * p0 * (1 - p0))));
  let inn = centre;
  let out = centre - sd;
  for (let step = sd; out >= 0 && inside(out); step *= 2) {
    inn = out;
    out = centre - 2 * step;
  }
  out = Math.max(out, -1);
  while (inn - out > 1) {
    const mid = Math.floor((out + inn) / 2);
    if (inside(mid)) inn = mid;
    else out = mid;
  }
  const lo = inn;
  let inHi = centre;
  let outHi = centre + sd;
  for (let step = sd; outHi <= n && inside(outHi); step *= 2) {
    inHi = outHi;
    outHi = centre + 2 * step;
  }
  outHi = Math.min(outHi, n + 1);
  while (outHi - inHi > 1) {
    const mid = Math.floor((inHi + outHi) / 2);
    if (inside(mid)) inHi = mid;
    else outHi = mid;
  }
  return { lo, hi: inHi };
}
