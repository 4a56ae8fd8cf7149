/**
 * Route actions: `POST /admin/routes/:id/weight`, `.../pause|resume|promote|rollback`
 * and `.../releases` (start a new canary release). Each reads the newest
 * version (after reconciling KV), applies a pure action and writes through
 * compare-and-set; an optional `If-Match` pins the version the caller saw.
 * A rollback is re-applied on conflict so it wins over a concurrent write.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import type { Route, RoutingConfig } from "../../contracts/config";
import { resolvePolicy, type PolicyInput } from "../../analyzer";
import { writeConfig, writeWithRetry } from "../../store/config-store";
import { ApiError } from "../errors";
import type { ActionResult, RouteAction } from "./actions";
import { applyAction, withRoute } from "./actions";
import type { AdminEnv } from "./context";
import { etag, ifMatch, parseWrite, readObject, validationError } from "./request";
import { ADMIN_API, on } from "./api";
import { checkVersion, loadLatest, settle } from "./writes";

export const routeActions = new Hono<AdminEnv>();

function findRoute(config: RoutingConfig, id: string): Route {
  const route = config.routes.find((r) => r.id === id);
  if (!route)
    throw new ApiError(404, "not_found_error", "route_not_found", `Route "${id}" does not exist.`);
  return route;
}

/** The refusal of a pure action as an HTTP error (`unchanged` is not an error). */
function refusal(routeId: string, r: Exclude<ActionResult, { ok: true }>): ApiError | null {
  switch (r.reason) {
    case "unchanged":
      return null;
    case "segment_not_found":
      return new ApiError(
        404,
        "not_found_error",
        "segment_not_found",
        `Segment "${r.segment}" does not exist on route "${routeId}".`,
      );
    case "no_canary":
      return new ApiError(
        409,
        "conflict_error",
        "no_canary",
        `Route "${routeId}" has no canary release.`,
      );
    case "invalid_state":
      return new ApiError(
        409,
        "conflict_error",
        "invalid_state",
        `Route "${routeId}" is ${r.state}; this action needs it ${r.needs}.`,
        { state: r.state },
      );
  }
}

/** Applies the action built for the route of the newest version and writes it. */
async function act(c: Context<AdminEnv>, reason: string, build: (route: Route) => RouteAction) {
  const id = c.req.param("id")!;
  const now = Date.now();
  const latest = await loadLatest(c.var.db, c.env.CONFIG, now);
  const route = findRoute(latest.doc, id);
  const action = build(route);
  if (action.kind !== "rollback") checkVersion(ifMatch(c, false), latest);
  const result = applyAction(route, action, now);
  if (!result.ok) {
    const err = refusal(id, result);
    if (err) throw err;
    return unchanged(c, latest.version, route);
  }
  const meta = { actor: c.var.actor, reason, source: "admin" as const, now };
  const written =
    action.kind === "rollback"
      ? settle(
          await writeWithRetry(
            c.var.db,
            c.env.CONFIG,
            (cfg) => {
              const route = cfg.routes.find((r) => r.id === id);
              const r = route ? applyAction(route, action, now) : null;
              return r?.ok ? withRoute(cfg, r.route) : null;
            },
            meta,
          ),
        )
      : settle(
          await writeConfig(c.var.db, c.env.CONFIG, {
            ...meta,
            expectedVersion: latest.version,
            config: withRoute(latest.doc, result.route),
          }),
        );
  if (!written) return unchanged(c, latest.version, findRoute(latest.doc, id));
  c.header("etag", etag(written.version));
  return c.json({ changed: true, version: written.version, route: findRoute(written.config, id) });
}

function unchanged(c: Context<AdminEnv>, version: number, route: Route) {
  c.header("etag", etag(version));
  return c.json({ changed: false, version, route });
}

on(routeActions, "/admin", ADMIN_API.setWeight, async (c) => {
  const { data, reason } = parseWrite(c, ADMIN_API.setWeight.body.schema, await readObject(c));
  const { weight, segment } = data;
  return act(c, reason, () => ({ kind: "weight", weight, segment }));
});

for (const kind of ["pause", "resume", "promote", "rollback"] as const) {
  const op = ADMIN_API[kind];
  on(routeActions, "/admin", op, async (c) => {
    const { reason } = parseWrite(c, op.body.schema, await readObject(c));
    return act(c, reason, () => ({ kind }));
  });
}

/** `ANALYZER_POLICY` as JSON, or nothing (the analyzer logs a bad one). */
function globalPolicy(raw: string | undefined): PolicyInput | undefined {
  try {
    return raw ? (JSON.parse(raw) as PolicyInput) : undefined;
  } catch {
    return undefined;
  }
}

on(routeActions, "/admin", ADMIN_API.startRelease, async (c) => {
  const { data: req, reason } = parseWrite(
    c,
    ADMIN_API.startRelease.body.schema,
    await readObject(c),
  );
  return act(c, reason, (route) => {
    let steps = req.steps;
    if (!steps) {
      const policy = resolvePolicy(globalPolicy(c.env.ANALYZER_POLICY), route.policy);
      if (!policy.ok) throw validationError(policy.errors.map((e) => `policy.${e}`));
      steps = policy.policy.steps;
    }
    return { kind: "release", canary: req.canary, steps, weight: req.weight ?? steps[0]! };
  });
});
