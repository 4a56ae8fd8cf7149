/**
 * What `/metrics` exposes, as metric families built from a snapshot of the
 * config, recent rollups and decisions. Pure; `route.ts` gathers the
 * snapshot and `prometheus.ts` renders it.
 *
 * Traffic figures cover a sliding window of recent rollup minutes, so they
 * are gauges (and summaries whose `_sum`/`_count` can decrease), not
 * counters: use them as they are, not with `rate()`.
 */
import type { RoutingConfig } from "../../contracts/config";
import { effectiveRouteWeight, RouteStateSchema } from "../../contracts/config";
import { quantileFromBins } from "../../contracts/sketch";
import type { ConfigHealth } from "../config/source";
import type { MetricFamily, Sample } from "./prometheus";

export const QUANTILES = [0.5, 0.95, 0.99] as const;

export interface SketchedSums {
  /** Sum and count of the values in milliseconds. */
  sum: number;
  count: number;
  /** Sketch bins (`contracts/sketch.ts`) of the values in milliseconds. */
  bins: Array<[bin: number, count: number]>;
}

export interface TrafficRow {
  routeId: string;
  releaseId: string;
  variant: "stable" | "canary";
  requests: number;
  errors: number;
  latency: SketchedSums;
  ttft: SketchedSums;
  /** The router's own time before the origin call (`x-canary-overhead-ms`). */
  overhead: SketchedSums;
}

export interface LastDecision {
  routeId: string;
  action: string;
  /** Epoch milliseconds. */
  at: number;
}

export interface MetricsSnapshot {
  windowMinutes: number;
  /** The config this isolate routes by, or null. */
  config: RoutingConfig | null;
  health: ConfigHealth;
  /** False when D1 could not be read (traffic and decisions are then empty). */
  rollupsUp: boolean;
  traffic: readonly TrafficRow[];
  lastDecisions: readonly LastDecision[];
  droppedOutcomes: number;
  droppedAssignmentCounts: number;
}

const HEALTH_STATES: ReadonlyArray<ConfigHealth["status"]> = [
  "ok",
  "missing",
  "kv_error",
  "invalid",
];

function trafficLabels(t: TrafficRow): Record<string, string> {
  return { route: t.routeId, release: t.releaseId, variant: t.variant };
}

/** Summary samples in seconds from millisecond sketches; routes without data are left out. */
function summarySamples(
  rows: readonly TrafficRow[],
  pick: (t: TrafficRow) => SketchedSums,
): Sample[] {
  return rows.flatMap((t) => {
    const s = pick(t);
    if (s.count === 0) return [];
    const labels = trafficLabels(t);
    return [
      ...QUANTILES.map((q) => ({
        labels: { ...labels, quantile: String(q) },
        value: (quantileFromBins(s.bins, q) ?? NaN) / 1000,
      })),
      { suffix: "_sum" as const, labels, value: s.sum / 1000 },
      { suffix: "_count" as const, labels, value: s.count },
    ];
  });
}

/**
 * @example
 * renderPrometheus(metricFamilies(snapshot));
 */
export function metricFamilies(s: MetricsSnapshot): MetricFamily[] {
  const window = `the last ${s.windowMinutes} minutes of rollups`;
  const sliding = "a gauge over a sliding window, not a counter";
  const routes = s.config?.routes ?? [];
  return [
    {
      name: "llm_canary_requests",
      help: `Requests per route, release and variant in ${window} (${sliding}).`,
      type: "gauge",
      samples: s.traffic.map((t) => ({ labels: trafficLabels(t), value: t.requests })),
    },
    {
      name: "llm_canary_errors",
      help: `Failed requests (any error class) per route, release and variant in ${window} (${sliding}).`,
      type: "gauge",
      samples: s.traffic.map((t) => ({ labels: trafficLabels(t), value: t.errors })),
    },
    {
      name: "llm_canary_latency_seconds",
      help: `Latency of successful requests in ${window}; quantiles from the rollup sketch (1% relative accuracy). _sum and _count cover the same sliding window and can decrease.`,
      type: "summary",
      samples: summarySamples(s.traffic, (t) => t.latency),
    },
    {
      name: "llm_canary_ttft_seconds",
      help: `Time to first token of successful streamed requests in ${window}; quantiles from the rollup sketch. _sum and _count cover the same sliding window and can decrease.`,
      type: "summary",
      samples: summarySamples(s.traffic, (t) => t.ttft),
    },
    {
      name: "llm_canary_router_overhead_seconds",
      help: `The router's own time before it called the origin (as in the x-canary-overhead-ms header), every proxied request in ${window}; quantiles from the rollup sketch. The Workers clock advances only across I/O, so this counts awaited work, not CPU. _sum and _count cover the same sliding window and can decrease.`,
      type: "summary",
      samples: summarySamples(s.traffic, (t) => t.overhead),
    },
    {
      name: "llm_canary_canary_weight_percent",
      help: "Canary weight in force per route for requests no segment rule matches (0 when rolled back or promoted).",
      type: "gauge",
      samples: routes.map((r) => ({ labels: { route: r.id }, value: effectiveRouteWeight(r) })),
    },
    {
      name: "llm_canary_segment_canary_weight_percent",
      help: "Canary weight in force per route and segment rule (0 when the route's canary does not serve).",
      type: "gauge",
      samples: routes.flatMap((r) =>
        r.segments.map((seg) => ({
          labels: { route: r.id, segment: seg.name },
          // A segment's weight is in force exactly when the route's would be.
          value: effectiveRouteWeight({ ...r, weight: seg.weight }),
        })),
      ),
    },
    {
      name: "llm_canary_route_state",
      help: "Route state as an enum: 1 for the current state, 0 for the others.",
      type: "gauge",
      samples: routes.flatMap((r) =>
        RouteStateSchema.options.map((state) => ({
          labels: { route: r.id, state },
          value: r.state === state ? 1 : 0,
        })),
      ),
    },
    {
      name: "llm_canary_rollout_step",
      help: "Index of the current rollout step per route and canary release.",
      type: "gauge",
      samples: routes.flatMap((r) =>
        r.rollout && r.canary
          ? [{ labels: { route: r.id, release: r.canary.id }, value: r.rollout.stepIndex }]
          : [],
      ),
    },
    {
      name: "llm_canary_route_release_info",
      help: "The releases a route serves: 1 per route and variant, labelled with the release id.",
      type: "gauge",
      samples: routes.flatMap((r) => [
        { labels: { route: r.id, variant: "stable", release: r.stable.id }, value: 1 },
        ...(r.canary
          ? [{ labels: { route: r.id, variant: "canary", release: r.canary.id }, value: 1 }]
          : []),
      ]),
    },
    {
      name: "llm_canary_last_decision_timestamp_seconds",
      help: "Time of the analyzer's last decision per route, labelled with its action.",
      type: "gauge",
      samples: s.lastDecisions.map((d) => ({
        labels: { route: d.routeId, action: d.action },
        value: d.at / 1000,
      })),
    },
    {
      name: "llm_canary_config_version",
      help: "Version of the routing config this isolate routes by (0 when none or stable-only salvage).",
      type: "gauge",
      samples: [{ value: s.config?.version ?? 0 }],
    },
    {
      name: "llm_canary_config_health",
      help: "Health of the routing config in KV as seen by this isolate, as an enum: 1 for the current status.",
      type: "gauge",
      samples: HEALTH_STATES.map((status) => ({
        labels: { status },
        value: s.health.status === status ? 1 : 0,
      })),
    },
    {
      name: "llm_canary_rollups_up",
      help: "1 when the rollups and decisions could be read from D1 for this scrape, else 0.",
      type: "gauge",
      samples: [{ value: s.rollupsUp ? 1 : 0 }],
    },
    {
      name: "llm_canary_outcomes_dropped_total",
      help: "Outcome events this isolate could not enqueue since it started.",
      type: "counter",
      samples: [{ value: s.droppedOutcomes }],
    },
    {
      name: "llm_canary_assignment_counts_dropped_total",
      help: "Assignment-count messages (one window of a tally) this isolate could not enqueue since it started.",
      type: "counter",
      samples: [{ value: s.droppedAssignmentCounts }],
    },
  ];
}
