/**
 * `GET /admin/series?route=&from=&to=&metric=`: per-bucket canary and stable
 * values of one route over time (the dashboard's charts), from the rollups
 * of the route's current canary release. Default window: the last hour;
 * at most 7 days, in at most 90 points per series.
 */
import { Hono } from "hono";
import { latestVersion } from "../../store/config-store";
import { getRoutingConfig } from "../config/source";
import { readSeries } from "../dashboard/series";
import { ApiError } from "../errors";
import type { AdminEnv } from "./context";
import { parseWith, validationError } from "./request";
import { ADMIN_API, on } from "./api";

export const DEFAULT_SERIES_WINDOW_MS = 60 * 60_000;
const MAX_WINDOW_MS = 7 * 24 * 60 * 60_000;

export const seriesRoutes = new Hono<AdminEnv>();

on(seriesRoutes, "/admin", ADMIN_API.series, async (c) => {
  const q = parseWith(ADMIN_API.series.query, c.req.query());
  const now = Date.now();
  const config =
    (await latestVersion(c.var.db))?.doc ?? (await getRoutingConfig(c.env.CONFIG, now));
  const route = config?.routes.find((r) => r.id === q.route);
  if (!route)
    throw new ApiError(
      404,
      "not_found_error",
      "route_not_found",
      `Route "${q.route}" does not exist.`,
    );
  const to = q.to ?? now;
  const from = q.from ?? to - DEFAULT_SERIES_WINDOW_MS;
  if (from >= to) throw validationError(["from: must be before to"]);
  if (to - from > MAX_WINDOW_MS) throw validationError(["from: the window is at most 7 days"]);
  const rolloutId = route.canary?.id ?? null;
  const { bucketMs, series } = await readSeries(c.var.db, {
    routeId: route.id,
    rolloutId,
    from,
    to,
    names: q.metric ?? [],
  });
  return c.json({
    routeId: route.id,
    rolloutId,
    stable: route.stable.id,
    canary: route.canary?.id ?? null,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    bucketMs,
    series,
  });
});
