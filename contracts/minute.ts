/**
 * Rollup minutes: every per-minute table (`rollup_metrics`, `rollup_bins`,
 * `evaluations`, `eval_budget`) keys its rows by the epoch minute, and the
 * readers compute their ranges with the same function. Pure.
 */

export const MINUTE_MS = 60_000;

/**
 * The epoch minute (whole minutes since 1970) of an epoch-millisecond time.
 *
 * @example rollupMinute(Date.UTC(2026, 0, 1, 0, 1, 30)) // 29453761
 */
export function rollupMinute(ts: number): number {
  return Math.floor(ts / MINUTE_MS);
}

/**
 * The rollup minutes a window [from, to] reads: the first whole minute at or
 * after `from`, through the minute containing `to`.
 *
 * @example minuteRange(90_000, 185_000) // { first: 2, last: 3 }
 */
export function minuteRange(from: number, to: number): { first: number; last: number } {
  return { first: Math.ceil(from / MINUTE_MS), last: rollupMinute(to) };
}
