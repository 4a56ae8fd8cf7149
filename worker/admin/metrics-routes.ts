/**
 * `GET /admin/metrics?route=&from=&to=`: the numbers the analyzer judges,
 * per route, slice and variant, over the current rollout step (the analyzer's
 * own per-step aggregates) or the given window (per-minute rollups).
 */
import { Hono } from "hono";
import type { Route } from "../../contracts/config";
import { latestVersion } from "../../store/config-store";
import { readStep, readWindow } from "../../analyzer/worker";
import { getRoutingConfig } from "../config/source";
import { ApiError } from "../errors";
import { summarizeWindow } from "../metrics/summary";
import type { AdminEnv } from "./context";
import { parseWith, validationError } from "./request";
import { ADMIN_API, on } from "./api";

export const metricsRoutes = new Hono<AdminEnv>();

/** Without a rollout step to start from, show the last 15 minutes. */
const FALLBACK_WINDOW_MS = 15 * 60_000;

function windowStart(route: Route, now: number): number {
  return route.rollout ? Date.parse(route.rollout.stepStartedAt) : now - FALLBACK_WINDOW_MS;
}

on(metricsRoutes, "/admin", ADMIN_API.metrics, async (c) => {
  const q = parseWith(ADMIN_API.metrics.query, c.req.query());
  const now = Date.now();
  const config =
    (await latestVersion(c.var.db))?.doc ?? (await getRoutingConfig(c.env.CONFIG, now));
  let routes = config?.routes ?? [];
  if (q.route !== undefined) {
    routes = routes.filter((r) => r.id === q.route);
    if (routes.length === 0)
      throw new ApiError(
        404,
        "not_found_error",
        "route_not_found",
        `Route "${q.route}" does not exist.`,
      );
  }
  const out = [];
  for (const route of routes) {
    const from = q.from ?? windowStart(route, now);
    const to = q.to ?? now;
    if (from >= to) throw validationError(["from: must be before to"]);
    // The current step is what the analyzer judges: read its own aggregates.
    const window =
      q.from === undefined && q.to === undefined && route.rollout
        ? await readStep(c.var.db, route, now)
        : await readWindow(c.var.db, route, from, to);
    out.push({
      routeId: route.id,
      state: route.state,
      weight: route.weight,
      stable: route.stable.id,
      canary: route.canary?.id ?? null,
      stepIndex: route.rollout?.stepIndex ?? null,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      slices: summarizeWindow(window),
    });
  }
  return c.json({ routes: out });
});
