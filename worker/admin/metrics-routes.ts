/**
 * `GET /admin/metrics?route=&from=&to=&dim=`: the numbers the analyzer judges,
 * per route, slice and variant, over the current rollout step (the analyzer's
 * own per-step aggregates, every dimension) or the given window (per-minute
 * rollups, only the dimensions `MINUTE_ROLLUP_DIMS` keeps). A window view
 * names the dimensions it cannot show, and refuses a `dim` it has no rows
 * for, so a missing slice never reads as a slice without traffic.
 */
import { Hono } from "hono";
import type { Route } from "../../contracts/config";
import { ROLLUP_DIMS } from "../../contracts/dims";
import { storageSettings } from "../../contracts/storage";
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
  const minuteDims: readonly string[] = storageSettings(c.env).settings.minuteRollupDims;
  const notKept = ROLLUP_DIMS.map((d) => d.dim).filter((d) => !minuteDims.includes(d));
  const windowed = q.from !== undefined || q.to !== undefined;
  if (windowed && q.dim !== undefined && !minuteDims.includes(q.dim))
    throw new ApiError(
      422,
      "invalid_request_error",
      "dim_not_kept",
      `dim: "${q.dim}" has no per-minute rollups (MINUTE_ROLLUP_DIMS keeps ${minuteDims.join(", ")}), so a from/to window cannot show it; without from/to the current rollout step shows every dimension.`,
    );
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
    const step = !windowed && route.rollout !== undefined;
    const window = step
      ? await readStep(c.var.db, route, now)
      : await readWindow(c.var.db, route, from, to, minuteDims);
    const slices = summarizeWindow(window).filter((s) => q.dim === undefined || s.dim === q.dim);
    out.push({
      routeId: route.id,
      state: route.state,
      weight: route.weight,
      stable: route.stable.id,
      canary: route.canary?.id ?? null,
      stepIndex: route.rollout?.stepIndex ?? null,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      unavailableDims: step ? [] : notKept,
      slices,
    });
  }
  return c.json({ routes: out });
});
