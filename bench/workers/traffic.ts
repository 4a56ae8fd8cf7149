/**
 * Seeded synthetic outcome events for the ingest and analyzer benchmarks:
 * the shape the edge sends (base metrics plus its inline quality signals),
 * with a realistic spread of countries, cohorts, classes, streams, errors
 * and log-normal latencies. Pure: the same options always yield the same
 * events.
 */
import { mulberry32, logNormal, pickCumulative } from "../../analyzer/sim/prng";
import { baseMetrics } from "../../contracts/metrics";
import type { OutcomeEvent } from "../../contracts/outcome";

export interface TrafficOptions {
  /** Number of events. */
  n: number;
  /** Events are spread evenly over [from, to), epoch ms. */
  from: number;
  to: number;
  seed: number;
  routeId: string;
  stableId: string;
  canaryId: string;
  /** Canary share of requests, 0..1. */
  canaryShare: number;
  /** Prefix of request ids (unique per data set). */
  idPrefix: string;
  /** The rollout step the events were routed in (default: `from`). */
  step?: number;
  /**
   * A production-wide mix (the capacity bench): 200 countries with Zipf
   * shares, 10 cohorts and 4 request classes, instead of 4, 2 and 2.
   */
  wide?: boolean;
}

/** Cumulative Zipf(1) shares over `n` values. */
function zipfCum(n: number): number[] {
  const out: number[] = [];
  let acc = 0;
  for (let i = 0; i < n; i++) out.push((acc += 1 / (i + 1)));
  return out.map((x) => (x / acc) * 100);
}

const WIDE = {
  countries: Array.from({ length: 200 }, (_, i) => `C${String(i).padStart(3, "0")}`),
  countryCum: zipfCum(200),
  cohorts: [null, ...Array.from({ length: 9 }, (_, i) => `cohort-${i}`)],
  cohortCum: zipfCum(10),
  classes: [null, "batch", "tools", "vision"],
  classCum: zipfCum(4),
};

const COUNTRIES = ["US", "DE", "IN", "BR"];
const COUNTRY_CUM = [40, 65, 85, 100];
const COHORTS = [null, "beta"];
const COHORT_CUM = [90, 100];
const CLASSES = [null, "batch"];
const CLASS_CUM = [80, 100];

/**
 * The i-th..(i+count-1)-th events of a data set (generate in slices to bound
 * memory).
 *
 * @example
 * const events = syntheticOutcomes(opts, 0, 1000);
 */
export function syntheticOutcomes(o: TrafficOptions, start: number, count: number): OutcomeEvent[] {
  const out: OutcomeEvent[] = [];
  const span = o.to - o.from;
  for (let i = start; i < Math.min(o.n, start + count); i++) {
    // One stream per event: slices can be generated independently.
    const rand = mulberry32((o.seed * 2654435761 + i * 40503) >>> 0);
    const canary = rand() < o.canaryShare;
    const country = o.wide
      ? (WIDE.countries[pickCumulative(rand, WIDE.countryCum)] ?? "C000")
      : (COUNTRIES[pickCumulative(rand, COUNTRY_CUM)] ?? "US");
    const cohort = o.wide
      ? (WIDE.cohorts[pickCumulative(rand, WIDE.cohortCum)] ?? null)
      : (COHORTS[pickCumulative(rand, COHORT_CUM)] ?? null);
    const requestClass = o.wide
      ? (WIDE.classes[pickCumulative(rand, WIDE.classCum)] ?? null)
      : (CLASSES[pickCumulative(rand, CLASS_CUM)] ?? null);
    const stream = rand() < 0.3;
    const failed = rand() < 0.01;
    const latencyMs = Math.round(logNormal(rand, 800, 0.5) * 10) / 10;
    const ttftMs = stream && !failed ? Math.round(latencyMs * (0.1 + 0.2 * rand())) : null;
    const outputTokens = failed ? null : 20 + Math.floor(rand() * 300);
    const fields: Omit<OutcomeEvent, "metrics"> = {
      v: 1,
      requestId: `${o.idPrefix}-${i}`,
      ts: o.from + Math.floor((i / o.n) * span),
      routeId: o.routeId,
      releaseId: canary ? o.canaryId : o.stableId,
      variant: canary ? "canary" : "stable",
      rolloutId: o.canaryId,
      step: o.step ?? o.from,
      configVersion: 1,
      weight: o.canaryShare * 100,
      sampleRate: 1,
      segment: cohort === "beta" ? "beta-cohort" : null,
      country,
      continent: null,
      region: null,
      colo: null,
      cohort,
      requestClass,
      keyed: true,
      path: "/v1/chat/completions",
      model: "bench-model",
      stream,
      status: failed ? 502 : 200,
      errorClass: failed ? "http_5xx" : null,
      latencyMs,
      ttfbMs: failed ? null : Math.round(latencyMs * 0.1),
      ttftMs,
      inputTokens: 50,
      outputTokens,
      tokensPerSec:
        outputTokens !== null && latencyMs > 0 ? (outputTokens / latencyMs) * 1000 : null,
      finishReason: failed ? null : "stop",
      streamCompleted: stream ? !failed : null,
      failover: false,
      promptHash: null,
      promptChars: 120,
      completionChars: failed ? 0 : (outputTokens ?? 0) * 5,
    };
    const quality: Record<string, number> = failed
      ? {}
      : {
          empty: 0,
          truncated: rand() < 0.02 ? 1 : 0,
          content_filter: 0,
          refusal: rand() < 0.01 ? 1 : 0,
          repetition: Math.round(rand() * 100) / 1000,
        };
    out.push({ ...fields, metrics: { ...baseMetrics(fields), ...quality } });
  }
  return out;
}
