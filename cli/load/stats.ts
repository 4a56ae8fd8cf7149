/**
 * Summary statistics of a load run. Pure: takes the per-request results and
 * returns counts, shares and latency quantiles.
 *
 * Quantiles use the nearest-rank definition (the smallest value with at
 * least q of the sample at or below it), so a reported p99 is always a
 * latency some request actually had.
 */

/** What one request ended with, as the load generator saw it. */
export interface RequestResult {
  /** Epoch ms when the request was sent. */
  startedAt: number;
  /** HTTP status, or 0 when no response arrived (connect error, timeout). */
  status: number;
  /** `x-canary-variant` of the response, or null. */
  variant: string | null;
  stream: boolean;
  /** Until the body was read to the end (or failed), ms. */
  latencyMs: number;
  /** Streams: until the first content frame, ms. */
  ttftMs: number | null;
  /** Transport error or an incomplete stream, when there was one. */
  error: string | null;
  country: string | null;
  cohort: string | null;
  requestClass: string | null;
}

export interface Quantiles {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface LoadSummary {
  requests: number;
  ok: number;
  failed: number;
  /** Failed requests by status (`0` for transport errors) and by error text. */
  errors: { byStatus: Record<string, number>; byError: Record<string, number> };
  variants: Record<string, { count: number; share: number }>;
  /** Wall time of the run and achieved requests per second. */
  durationMs: number;
  rps: number;
  latencyMs: Quantiles | null;
  /** Streams only. */
  ttftMs: Quantiles | null;
}

/**
 * Nearest-rank quantile of an ascending array (NaN when empty).
 *
 * @example quantile([1, 2, 3, 4], 0.5); // 2
 */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

/** Count, mean, p50, p95, p99 and max of a sample, or null when it is empty. */
export function quantiles(values: readonly number[]): Quantiles | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((s, v) => s + v, 0);
  return {
    n: sorted.length,
    mean: sum / sorted.length,
    p50: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1]!,
  };
}

/** A request failed when it got no 2xx answer or its body did not end cleanly. */
export function failed(r: RequestResult): boolean {
  return r.status < 200 || r.status > 299 || r.error !== null;
}

/**
 * The summary printed at the end of a run. Latency quantiles cover successful
 * requests only (a fast error is not a fast answer).
 */
export function summarize(results: readonly RequestResult[], durationMs: number): LoadSummary {
  const byStatus: Record<string, number> = {};
  const byError: Record<string, number> = {};
  const variantCounts: Record<string, number> = {};
  const latencies: number[] = [];
  const ttfts: number[] = [];
  let bad = 0;
  for (const r of results) {
    const v = r.variant ?? "none";
    variantCounts[v] = (variantCounts[v] ?? 0) + 1;
    if (failed(r)) {
      bad += 1;
      byStatus[String(r.status)] = (byStatus[String(r.status)] ?? 0) + 1;
      if (r.error !== null) byError[r.error] = (byError[r.error] ?? 0) + 1;
      continue;
    }
    latencies.push(r.latencyMs);
    if (r.ttftMs !== null) ttfts.push(r.ttftMs);
  }
  const variants: LoadSummary["variants"] = {};
  for (const [name, count] of Object.entries(variantCounts).sort(([a], [b]) => a.localeCompare(b)))
    variants[name] = { count, share: results.length > 0 ? count / results.length : 0 };
  return {
    requests: results.length,
    ok: results.length - bad,
    failed: bad,
    errors: { byStatus, byError },
    variants,
    durationMs,
    rps: durationMs > 0 ? (results.length / durationMs) * 1000 : 0,
    latencyMs: quantiles(latencies),
    ttftMs: quantiles(ttfts),
  };
}
