/** Number formatting for the one-line reasons in verdicts and decisions. */

/** 3 significant digits, `∞` for infinities, `n/a` for null. */
export function num(x: number | null): string {
  if (x === null || Number.isNaN(x)) return "n/a";
  if (x === Number.POSITIVE_INFINITY) return "∞";
  if (x === Number.NEGATIVE_INFINITY) return "-∞";
  if (x === 0) return "0";
  const abs = Math.abs(x);
  if (abs >= 1000) return Math.round(x).toString();
  // Rounding by powers of ten: much cheaper than toPrecision in a hot loop.
  const scale = 10 ** (2 - Math.floor(Math.log10(abs)));
  return (Math.round(x * scale) / scale).toString();
}

/** A 0..1 rate difference as signed percentage points, e.g. `+1.25 pp`. */
export function pp(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return num(x);
  const v = x * 100;
  return `${v >= 0 ? "+" : ""}${v.toFixed(2)} pp`;
}

/** A percentage weight, e.g. `5%`. */
export function pct(weight: number): string {
  return `${Number(weight.toFixed(2))}%`;
}
