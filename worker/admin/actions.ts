/**
 * What each route action does to a route, as pure functions over the config
 * (the HTTP layer maps the tagged failures to status codes). Transitions
 * reuse the analyzer's, so an operator's rollback is the analyzer's rollback.
 */
import type { Release, Route, RouteState, RoutingConfig } from "../../contracts/config";
import * as transitions from "../../contracts/transitions";

export type RouteAction =
  | { kind: "weight"; weight: number; segment?: string }
  | { kind: "pause" }
  | { kind: "resume" }
  | { kind: "promote" }
  | { kind: "rollback" }
  | { kind: "release"; canary: Release; steps: number[]; weight: number };

export type ActionResult =
  | { ok: true; route: Route }
  | { ok: false; reason: "unchanged" }
  | { ok: false; reason: "segment_not_found"; segment: string }
  | { ok: false; reason: "no_canary" }
  | { ok: false; reason: "invalid_state"; state: RouteState; needs: RouteState };

/**
 * A new weight restarts the rollout step: the analyzer judges each step on its
 * own aggregates and must not pool traffic routed at two weights.
 */
function setWeight(
  route: Route,
  weight: number,
  segment: string | undefined,
  now: number,
): ActionResult {
  if (segment === undefined) {
    return route.weight === weight
      ? { ok: false, reason: "unchanged" }
      : { ok: true, route: transitions.restartStep({ ...route, weight }, now) };
  }
  const at = route.segments.findIndex((s) => s.name === segment);
  if (at < 0) return { ok: false, reason: "segment_not_found", segment };
  if (route.segments[at]!.weight === weight) return { ok: false, reason: "unchanged" };
  const segments = route.segments.map((s, i) => (i === at ? { ...s, weight } : s));
  return { ok: true, route: transitions.restartStep({ ...route, segments }, now) };
}

/**
 * The route after `action`, or why the action does not apply.
 *
 * @example
 * applyAction(route, { kind: "pause" }, Date.now()); // { ok: true, route: { ...route, state: "paused" } }
 */
export function applyAction(route: Route, action: RouteAction, now: number): ActionResult {
  switch (action.kind) {
    case "weight":
      return setWeight(route, action.weight, action.segment, now);
    case "pause":
      if (route.state === "paused") return { ok: false, reason: "unchanged" };
      if (route.state !== "active")
        return { ok: false, reason: "invalid_state", state: route.state, needs: "active" };
      return { ok: true, route: transitions.freeze(route) };
    case "resume":
      if (route.state === "active") return { ok: false, reason: "unchanged" };
      if (route.state !== "paused")
        return { ok: false, reason: "invalid_state", state: route.state, needs: "paused" };
      return { ok: true, route: { ...route, state: "active" } };
    case "promote":
      if (!route.canary) return { ok: false, reason: "no_canary" };
      if (route.state === "rolled_back")
        return { ok: false, reason: "invalid_state", state: route.state, needs: "active" };
      return { ok: true, route: transitions.promote(route) };
    case "rollback":
      if (!route.canary) return { ok: false, reason: "no_canary" };
      if (route.state === "rolled_back") return { ok: false, reason: "unchanged" };
      return { ok: true, route: transitions.rollback(route) };
    case "release":
      return {
        ok: true,
        route: transitions.startRollout(
          { ...route, canary: action.canary, state: "active" },
          action.steps,
          0,
          action.weight,
          now,
        ),
      };
  }
}

/** The config with one route replaced (matched by id). */
export function withRoute(config: RoutingConfig, route: Route): RoutingConfig {
  return { ...config, routes: config.routes.map((r) => (r.id === route.id ? route : r)) };
}
