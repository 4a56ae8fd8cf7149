/**
 * `GET /metrics`: Prometheus text exposition for scrapers (behind the admin
 * auth). Config-derived metrics come from this isolate's routing config, so
 * they still answer when D1 is down (`llm_canary_rollups_up 0`).
 */
import { drizzle } from "drizzle-orm/d1";
import type { Context } from "hono";
import { configHealth, getRoutingConfig } from "../config/source";
import { droppedOutcomes } from "../outcome/emit";
import { droppedAssignmentCounts } from "../outcome/beacon";
import type { LastDecision, TrafficRow } from "./families";
import { metricFamilies } from "./families";
import { renderPrometheus } from "./prometheus";
import { lastDecisions, recentTraffic } from "./snapshot";
import { rollupMinute } from "../../contracts/minute";
import type { AppEnv } from "../types";

export const METRICS_WINDOW_MINUTES = 15;

export async function prometheusMetrics(c: Context<AppEnv>): Promise<Response> {
  const now = Date.now();
  const config = await getRoutingConfig(c.env.CONFIG, now);
  const db = drizzle(c.env.DB);
  let traffic: TrafficRow[] = [];
  let decided: LastDecision[] = [];
  let rollupsUp = true;
  try {
    // The current minute counts as one of the window's minutes.
    const firstMinute = rollupMinute(now) - (METRICS_WINDOW_MINUTES - 1);
    [traffic, decided] = await Promise.all([recentTraffic(db, firstMinute), lastDecisions(db)]);
  } catch (e) {
    rollupsUp = false;
    console.error(JSON.stringify({ msg: "metrics: cannot read D1", error: String(e) }));
  }
  const text = renderPrometheus(
    metricFamilies({
      windowMinutes: METRICS_WINDOW_MINUTES,
      config,
      health: configHealth(),
      rollupsUp,
      traffic,
      lastDecisions: decided,
      droppedOutcomes: droppedOutcomes(),
      droppedAssignmentCounts: droppedAssignmentCounts(),
    }),
  );
  return c.body(text, 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
}
