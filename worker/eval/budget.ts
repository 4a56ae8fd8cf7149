/**
 * Budgets: at most `max` evaluations (or shadow calls) start per key and
 * minute, counted in one D1 row per (key, minute) so every edge and consumer
 * shares the count. The pure rules live here; `store.ts` applies `takeSlot` as
 * one atomic upsert (`... DO UPDATE SET used = used + 1 WHERE used < max
 * RETURNING used`), so concurrent takers can never exceed the budget.
 */
import { rollupMinute } from "../../contracts/minute";

/** The budget minute of an epoch-ms time. */
export const budgetMinute = rollupMinute;

/** Budget key of an evaluator. */
export function evaluatorBudgetKey(name: string): string {
  return `evaluator:${name}`;
}

/** Budget key of a route's shadow calls. */
export function shadowBudgetKey(routeId: string): string {
  return `shadow:${routeId}`;
}

/**
 * One slot from a counter at `used` of `max`: granted while below `max`.
 *
 * @example
 * takeSlot(0, 2); // { granted: true, used: 1 }
 * takeSlot(2, 2); // { granted: false, used: 2 }
 */
export function takeSlot(used: number, max: number): { granted: boolean; used: number } {
  return used < max ? { granted: true, used: used + 1 } : { granted: false, used };
}

/**
 * Backoff before retry `attempt` (1-based) of an evaluator call: 250 ms
 * doubling, capped at 2 s, so retries stay well inside a queue invocation.
 *
 * @example
 * retryBackoffMs(1); // 250
 * retryBackoffMs(4); // 2000
 */
export function retryBackoffMs(attempt: number): number {
  return Math.min(2_000, 250 * 2 ** Math.max(0, attempt - 1));
}
