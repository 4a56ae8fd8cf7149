import { describe, expect, it } from "vitest";
import {
  CircuitBreaker,
  DEFAULT_OPEN_MS,
  MAX_OPEN_MS,
  retryAfterMs,
} from "../../worker/proxy/circuit";

describe("circuit breaker", () => {
  const now = Date.UTC(2026, 10, 27, 12, 0, 0);

  it("reads Retry-After as seconds or an HTTP date, capped", () => {
    expect(retryAfterMs("30", now)).toBe(30_000);
    expect(retryAfterMs("1.5", now)).toBe(1_500);
    expect(retryAfterMs(new Date(now + 12_000).toUTCString(), now)).toBe(12_000);
    expect(retryAfterMs("86400", now)).toBe(MAX_OPEN_MS);
    expect(retryAfterMs(null, now)).toBe(DEFAULT_OPEN_MS);
    expect(retryAfterMs("soon", now)).toBe(DEFAULT_OPEN_MS);
  });

  it("opens per release until the time named, then closes", () => {
    const b = new CircuitBreaker();
    b.trip("canary-v2", "30", now);
    expect(b.isOpen("canary-v2", now + 29_999)).toBe(true);
    expect(b.isOpen("canary-v3", now + 1)).toBe(false);
    expect(b.isOpen("canary-v2", now + 30_000)).toBe(false);
  });

  it("never shortens an open circuit", () => {
    const b = new CircuitBreaker();
    b.trip("c", "60", now);
    b.trip("c", "1", now + 1000);
    expect(b.isOpen("c", now + 30_000)).toBe(true);
  });
});
