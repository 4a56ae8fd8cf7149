/**
 * Canary vs stable over time, for the dashboard's charts: the `all` slice of
 * `rollup_metrics` and `rollup_bins` grouped by time bucket and variant.
 * Buckets are whole minutes, widened so a series never has more than
 * `MAX_POINTS` points; the cost of a read depends on the window and the
 * number of sketch bins, not on traffic.
 *
 * Series names: `requests` (count per bucket), `error_rate`, `latency_p50`,
 * `latency_p95`, `latency_p99`, `ttft_p50`, `ttft_p95`, `ttft_p99`, and any
 * other rollup metric by its own name as a mean per bucket (quality scores
 * such as `toxicity`, `relevance`, `pairwise_win`, `refusal`).
 */
import { and, eq, gte, inArray, lte } from "drizzle-orm";
import { BASE_METRICS } from "../../contracts/metrics";
import { MINUTE_MS as MINUTE, minuteRange } from "../../contracts/minute";
import { quantileFromBins } from "../../contracts/sketch";
import type { Db } from "../../store/config-store";
import { readRollups } from "../../store/rollup-reader";

export const MAX_POINTS = 90;

export const DEFAULT_SERIES = [
  "requests",
  "error_rate",
  "latency_p50",
  "latency_p95",
  "ttft_p50",
  "ttft_p95",
] as const;

/** Metrics that are plumbing or have their own series, never shown as a quality mean. */
const NOT_QUALITY = new Set<string>([
  BASE_METRICS.requests,
  BASE_METRICS.error,
  BASE_METRICS.failover,
  BASE_METRICS.rate429,
  BASE_METRICS.streamCut,
  BASE_METRICS.latencyMs,
  BASE_METRICS.ttftMs,
  BASE_METRICS.tokensPerSec,
]);
const isBookkeeping = (m: string) => /^eval_(missing|skipped)_/.test(m);

export type SeriesKind = "count" | "rate" | "quantile" | "mean";

/** What a series name reads: the rollup metric and how it becomes a value. */
export interface SeriesSpec {
  name: string;
  source: string;
  kind: SeriesKind;
  /** Quantile (0..1) for `quantile`. */
  q?: number;
  unit: "requests" | "ms" | "ratio" | "score";
}

/**
 * @example
 * seriesSpec("latency_p95"); // { name: "latency_p95", source: "latency_ms", kind: "quantile", q: 0.95, unit: "ms" }
 * seriesSpec("relevance");   // { name: "relevance", source: "relevance", kind: "mean", unit: "score" }
 */
export function seriesSpec(name: string): SeriesSpec {
  if (name === "requests")
    return { name, source: BASE_METRICS.requests, kind: "count", unit: "requests" };
  if (name === "error_rate")
    return { name, source: BASE_METRICS.error, kind: "rate", unit: "ratio" };
  const m = /^(latency|ttft)_p(50|95|99)$/.exec(name);
  if (m) {
    const source = m[1] === "latency" ? BASE_METRICS.latencyMs : BASE_METRICS.ttftMs;
    return { name, source, kind: "quantile", q: Number(m[2]) / 100, unit: "ms" };
  }
  return { name, source: name, kind: "mean", unit: "score" };
}

/** Bucket width in minutes so that [from, to] has at most `MAX_POINTS` buckets. */
export function bucketMinutes(from: number, to: number): number {
  const minutes = Math.max(1, Math.ceil((to - from) / MINUTE));
  return Math.max(1, Math.ceil(minutes / MAX_POINTS));
}

export interface SumRow {
  bucket: number;
  variant: "stable" | "canary";
  metric: string;
  n: number;
  sum: number;
}

export interface BinRow {
  bucket: number;
  variant: "stable" | "canary";
  metric: string;
  bin: number;
  count: number;
}

export interface Point {
  /** Bucket start, epoch ms. */
  t: number;
  v: number;
  /** Observations behind the value. */
  n: number;
}

export interface Series {
  metric: string;
  kind: SeriesKind;
  unit: SeriesSpec["unit"];
  stable: Point[];
  canary: Point[];
}

/**
 * The series for `names` from grouped rows (pure). With `withQuality`, every
 * other observed metric that is a score is appended as a mean series.
 */
export function buildSeries(
  sums: readonly SumRow[],
  bins: readonly BinRow[],
  names: readonly string[],
  bucketMs: number,
  withQuality: boolean,
): Series[] {
  const wanted = [...names];
  if (withQuality) {
    const observed = new Set(sums.map((r) => r.metric));
    for (const m of [...observed].sort())
      if (!NOT_QUALITY.has(m) && !isBookkeeping(m) && !wanted.includes(m)) wanted.push(m);
  }
  return wanted.map((name) => {
    const spec = seriesSpec(name);
    const points = (variant: "stable" | "canary"): Point[] => {
      if (spec.kind === "quantile") {
        const byBucket = new Map<number, Array<[number, number]>>();
        for (const r of bins)
          if (r.variant === variant && r.metric === spec.source) {
            let list = byBucket.get(r.bucket);
            if (!list) byBucket.set(r.bucket, (list = []));
            list.push([r.bin, r.count]);
          }
        return [...byBucket.entries()]
          .sort((a, b) => a[0] - b[0])
          .flatMap(([bucket, list]) => {
            const v = quantileFromBins(list, spec.q!);
            const n = list.reduce((s, [, c]) => s + c, 0);
            return v === null ? [] : [{ t: bucket * bucketMs, v, n }];
          });
      }
      return sums
        .filter((r) => r.variant === variant && r.metric === spec.source && r.n > 0)
        .sort((a, b) => a.bucket - b.bucket)
        .map((r) => ({
          t: r.bucket * bucketMs,
          v: spec.kind === "count" ? r.sum : r.sum / r.n,
          n: r.n,
        }));
    };
    return {
      metric: name,
      kind: spec.kind,
      unit: spec.unit,
      stable: points("stable"),
      canary: points("canary"),
    };
  });
}

export interface SeriesQuery {
  routeId: string;
  /** Only this rollout's rows (the canary release id); null for all. */
  rolloutId: string | null;
  from: number;
  to: number;
  /** Series names; empty for the defaults plus every observed quality metric. */
  names: readonly string[];
}

/** Reads and builds the series (two grouped queries). */
export async function readSeries(
  db: Db,
  q: SeriesQuery,
): Promise<{ bucketMs: number; series: Series[] }> {
  const k = bucketMinutes(q.from, q.to);
  const names = q.names.length > 0 ? q.names : DEFAULT_SERIES;
  const specs = names.map(seriesSpec);
  const { first, last } = minuteRange(q.from, q.to);
  const sumSources = specs.filter((s) => s.kind !== "quantile").map((s) => s.source);
  const binSources = [...new Set(specs.filter((s) => s.kind === "quantile").map((s) => s.source))];
  const withQuality = q.names.length === 0;
  const { sums, bins } = await readRollups(db, {
    where: (t) =>
      and(
        eq(t.routeId, q.routeId),
        q.rolloutId !== null ? eq(t.rolloutId, q.rolloutId) : undefined,
        eq(t.dim, "all"),
        gte(t.minute, first),
        lte(t.minute, last),
      ),
    groupBy: ["variant", "metric"],
    bucketMinutes: k,
    sumMetrics: (t) =>
      withQuality ? undefined : sumSources.length > 0 ? inArray(t.metric, sumSources) : null,
    binMetrics: (t) => (binSources.length > 0 ? inArray(t.metric, binSources) : null),
  });
  const bucketMs = k * MINUTE;
  return { bucketMs, series: buildSeries(sums, bins, names, bucketMs, withQuality) };
}
