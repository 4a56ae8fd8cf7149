/**
 * Per-isolate circuit breaker for releases that asked us to back off: a 429
 * with `Retry-After` opens the circuit for that release until the time it
 * named (capped), and requests assigned to it go straight to stable instead
 * of hammering it. Pure state machine over an injected clock.
 */

/** Longest back-off honoured, whatever the origin asks. */
export const MAX_OPEN_MS = 5 * 60_000;
/** Back-off when a 429 names no usable `Retry-After`. */
export const DEFAULT_OPEN_MS = 1_000;

/** Milliseconds to back off for a `Retry-After` value (seconds or an HTTP date). */
export function retryAfterMs(value: string | null, now: number): number {
  if (value === null || value.trim() === "") return DEFAULT_OPEN_MS;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.min(MAX_OPEN_MS, Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? DEFAULT_OPEN_MS : Math.min(MAX_OPEN_MS, Math.max(0, at - now));
}

export class CircuitBreaker {
  private readonly openUntil = new Map<string, number>();

  /** Records a 429 from a release. */
  trip(releaseId: string, retryAfter: string | null, now: number): void {
    const until = now + retryAfterMs(retryAfter, now);
    this.openUntil.set(releaseId, Math.max(until, this.openUntil.get(releaseId) ?? 0));
  }

  isOpen(releaseId: string, now: number): boolean {
    const until = this.openUntil.get(releaseId);
    if (until === undefined) return false;
    if (now < until) return true;
    this.openUntil.delete(releaseId);
    return false;
  }
}
