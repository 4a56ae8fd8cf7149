/**
 * Route transformations for each action. Pure: each returns a new route and
 * never touches segment rules except where the action says so, so weights
 * operators set on segments (0 included) survive every transition.
 */
import type { Route } from "./config";

const iso = (ms: number) => new Date(ms).toISOString();

/** Starts a rollout at `stepIndex` with the given weight. */
export function startRollout(
  route: Route,
  steps: number[],
  stepIndex: number,
  weight: number,
  now: number,
): Route {
  return {
    ...route,
    weight,
    rollout: { steps, stepIndex, stepStartedAt: iso(now), startedAt: iso(now) },
  };
}

/** Moves to the next step (its weight capped by the caller). */
export function advance(route: Route, stepIndex: number, weight: number, now: number): Route {
  if (!route.rollout) return route;
  return { ...route, weight, rollout: { ...route.rollout, stepIndex, stepStartedAt: iso(now) } };
}

/** Restarts the current step's clock (its data no longer reflects the routing). */
export function restartStep(route: Route, now: number): Route {
  if (!route.rollout) return route;
  return { ...route, rollout: { ...route.rollout, stepStartedAt: iso(now) } };
}

/** The canary becomes stable: canary and rollout removed, weight 0. */
export function promote(route: Route): Route {
  const { canary, rollout: _rollout, ...rest } = route;
  if (!canary) return route;
  return { ...rest, stable: canary, weight: 0, state: "promoted" };
}

/** The canary stops serving; release and rollout stay for the record. */
export function rollback(route: Route): Route {
  return { ...route, weight: 0, state: "rolled_back" };
}

/** Paused: the edge keeps the current weight, the analyzer stops acting until resumed. */
export function freeze(route: Route): Route {
  return { ...route, state: "paused" };
}
