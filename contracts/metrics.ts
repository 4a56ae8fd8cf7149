/**
 * Names of the metrics every outcome event carries (see `OutcomeEvent.metrics`)
 * and the pure function that derives them. The analyzer's metric definitions
 * refer to these names; quality signals add more names, not new columns.
 */
import type { OutcomeEvent } from "./outcome";

export const BASE_METRICS = {
  /**
   * Every logged request, valued 1 / its logging rate (contracts/sampling.ts):
   * `n` counts the logged samples, `sum` estimates the requests served.
   */
  requests: "requests",
  /** 1 when the assigned variant failed (any error class), else 0. */
  error: "error",
  /** 1 when the canary failed before its first byte and stable answered. */
  failover: "failover",
  /** Streams only: 1 when cut or stalled, 0 when completed. */
  streamCut: "stream_cut",
  /** 1 when the assigned variant answered 429. */
  rate429: "rate_429",
  /** Successful requests only: total latency. Sketched. */
  latencyMs: "latency_ms",
  /** Successful requests with a first token. Sketched. */
  ttftMs: "ttft_ms",
  /** Successful requests with output tokens and a measurable generation time. */
  tokensPerSec: "tokens_per_sec",
  /**
   * Every proxied request: the router's own time before it called the origin
   * (config, body, assignment), as in the `x-canary-overhead-ms` header. Sketched.
   */
  overheadMs: "overhead_ms",
} as const;

type EventFacts = Pick<
  OutcomeEvent,
  "errorClass" | "failover" | "stream" | "streamCompleted" | "latencyMs" | "ttftMs" | "tokensPerSec"
> & { sampleRate?: number };

/**
 * The base metrics of one outcome.
 *
 * @example
 * baseMetrics({ errorClass: null, failover: false, stream: false, streamCompleted: null,
 *   latencyMs: 120, ttftMs: null, tokensPerSec: 40 });
 * // { requests: 1, error: 0, failover: 0, rate_429: 0, latency_ms: 120, tokens_per_sec: 40 }
 */
export function baseMetrics(e: EventFacts): Record<string, number> {
  const ok = e.errorClass === null;
  const m: Record<string, number> = {
    [BASE_METRICS.requests]: 1 / (e.sampleRate ?? 1),
    [BASE_METRICS.error]: ok ? 0 : 1,
    [BASE_METRICS.failover]: e.failover ? 1 : 0,
    [BASE_METRICS.rate429]: e.errorClass === "http_429" ? 1 : 0,
  };
  if (e.stream) m[BASE_METRICS.streamCut] = e.streamCompleted === false ? 1 : 0;
  if (ok) {
    m[BASE_METRICS.latencyMs] = e.latencyMs;
    if (e.ttftMs !== null) m[BASE_METRICS.ttftMs] = e.ttftMs;
    if (e.tokensPerSec !== null) m[BASE_METRICS.tokensPerSec] = e.tokensPerSec;
  }
  return m;
}
