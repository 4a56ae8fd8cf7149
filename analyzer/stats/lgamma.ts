/**
 * Log-gamma for positive reals, accurate to about 1e-14 relative.
 *
 * Design: Stirling's series is very accurate for x >= 10 and keeps the
 * absolute error small for the large arguments (counts of 1e6 and more) that
 * beta-binomial mixtures feed it; smaller arguments are shifted up with the
 * recurrence Γ(x + 1) = xΓ(x).
 */

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** ln Γ(x) for x > 0. */
export function lgamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`lgamma needs x > 0, got ${x}`);
  let shift = 0;
  let y = x;
  while (y < 10) {
    shift += Math.log(y);
    y += 1;
  }
  const inv = 1 / y;
  const inv2 = inv * inv;
  const series =
    inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 / 1188))));
  return (y - 0.5) * Math.log(y) - y + HALF_LOG_2PI + series - shift;
}

/** ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b). */
export function lbeta(a: number, b: number): number {
  return lgamma(a) + lgamma(b) - lgamma(a + b);
}
