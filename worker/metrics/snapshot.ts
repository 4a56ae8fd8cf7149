/**
 * Reads what `/metrics` reports from D1: traffic per route, release and
 * variant over the recent rollup minutes (the `all` dimension only, so the
 * result size depends on releases and sketch bins, not on traffic), and each
 * route's last analyzer decision.
 */
import { and, eq, gte, inArray, sql } from "drizzle-orm";
import { decisions } from "../../contracts/db/schema";
import { BASE_METRICS } from "../../contracts/metrics";
import type { Db } from "../../store/config-store";
import { readRollups } from "../../store/rollup-reader";
import type { LastDecision, SketchedSums, TrafficRow } from "./families";

const ALL_DIM = "all";

/** The metrics `/metrics` reports: summed, and the ones with quantiles. */
const SKETCHED = [BASE_METRICS.latencyMs, BASE_METRICS.ttftMs, BASE_METRICS.overheadMs];
const SUMMED = [BASE_METRICS.requests, BASE_METRICS.error, ...SKETCHED];

const emptySketch = (): SketchedSums => ({ sum: 0, count: 0, bins: [] });

/** Traffic from the rollup minutes at or after `firstMinute`. */
export async function recentTraffic(db: Db, firstMinute: number): Promise<TrafficRow[]> {
  const { sums, bins } = await readRollups(db, {
    where: (t) => and(eq(t.dim, ALL_DIM), gte(t.minute, firstMinute)),
    groupBy: ["routeId", "releaseId", "variant", "metric"],
    sumMetrics: (t) => inArray(t.metric, SUMMED),
    binMetrics: (t) => inArray(t.metric, SKETCHED),
  });

  const rows = new Map<string, TrafficRow>();
  const row = (r: { routeId: string; releaseId: string; variant: "stable" | "canary" }) => {
    const key = JSON.stringify([r.routeId, r.releaseId, r.variant]);
    let t = rows.get(key);
    if (!t) {
      t = {
        routeId: r.routeId,
        releaseId: r.releaseId,
        variant: r.variant,
        requests: 0,
        errors: 0,
        latency: emptySketch(),
        ttft: emptySketch(),
        overhead: emptySketch(),
      };
      rows.set(key, t);
    }
    return t;
  };
  // Logged samples per row: the error count is scaled by requests / logged,
  // the inverse logging rate (contracts/sampling.ts), 1 when all are logged.
  const logged = new Map<TrafficRow, number>();
  for (const r of sums) {
    const t = row(r);
    const { n, sum } = r;
    if (r.metric === BASE_METRICS.requests) {
      t.requests = sum;
      logged.set(t, n);
    } else if (r.metric === BASE_METRICS.error) t.errors = sum;
    else if (r.metric === BASE_METRICS.latencyMs) Object.assign(t.latency, { sum, count: n });
    else if (r.metric === BASE_METRICS.ttftMs) Object.assign(t.ttft, { sum, count: n });
    else if (r.metric === BASE_METRICS.overheadMs) Object.assign(t.overhead, { sum, count: n });
  }
  const sketchOf = (t: TrafficRow, metric: string) =>
    metric === BASE_METRICS.latencyMs
      ? t.latency
      : metric === BASE_METRICS.ttftMs
        ? t.ttft
        : t.overhead;
  for (const r of bins) sketchOf(row(r), r.metric).bins.push([r.bin, r.count]);
  for (const [t, n] of logged) if (n > 0) t.errors *= t.requests / n;
  return [...rows.values()].sort((a, b) =>
    JSON.stringify([a.routeId, a.releaseId, a.variant]) <
    JSON.stringify([b.routeId, b.releaseId, b.variant])
      ? -1
      : 1,
  );
}

/** The newest decision of every route that has one. */
export async function lastDecisions(db: Db): Promise<LastDecision[]> {
  const newest = db
    .select({ routeId: decisions.routeId, at: sql<number>`max(${decisions.at})`.as("max_at") })
    .from(decisions)
    .groupBy(decisions.routeId)
    .as("newest");
  const rows = await db
    .select({ routeId: decisions.routeId, action: decisions.action, at: decisions.at })
    .from(decisions)
    .innerJoin(newest, and(eq(decisions.routeId, newest.routeId), eq(decisions.at, newest.at)))
    .orderBy(decisions.routeId, decisions.id);
  const byRoute = new Map<string, LastDecision>();
  for (const r of rows) if (!byRoute.has(r.routeId)) byRoute.set(r.routeId, r);
  return [...byRoute.values()];
}
