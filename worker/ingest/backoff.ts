/**
 * Retry delay for messages whose batch write failed: doubling from 5 s, capped
 * at 5 min, so a short D1 outage does not burn through `max_retries` (and
 * dead-letter good events) in seconds.
 *
 * @example
 * retryDelaySeconds(1); // 5
 * retryDelaySeconds(3); // 20
 */
export function retryDelaySeconds(attempts: number): number {
  const n = Math.max(1, Math.floor(attempts));
  return Math.min(300, 5 * 2 ** Math.min(n - 1, 10));
}
