/**
 * Operator weight edits inside a rollout step. The analyzer judges a step on
 * the aggregates stamped with its start (docs/step-rollups.md), so traffic at
 * two different weights would be pooled, and the sample-ratio test would then
 * read the pooled share against the new weight and report broken assignment.
 * An edit that changes a route's weights (its default or any segment rule's)
 * and keeps the step's start therefore gets the step restarted. Pure.
 */
import type { Route, RoutingConfig } from "../../contracts/config";

export interface WeightEdit {
  routeId: string;
  /** The weights before and after, e.g. `10` → `2; eu-beta=0`. */
  from: string;
  to: string;
}

function weights(route: Route): string {
  return [String(route.weight), ...route.segments.map((s) => `${s.name}=${s.weight}`)].join("; ");
}

/**
 * Routes under an active rollout whose weights changed from `before` to
 * `after` while the step's start stayed the same.
 *
 * @example
 * weightEditsWithinStep(v1, { ...v1, routes: [{ ...v1.routes[0], weight: 2 }] });
 * // [{ routeId: "chat", from: "10", to: "2" }]
 */
export function weightEditsWithinStep(before: RoutingConfig, after: RoutingConfig): WeightEdit[] {
  const edits: WeightEdit[] = [];
  for (const route of after.routes) {
    const old = before.routes.find((r) => r.id === route.id);
    if (!old || !route.rollout || !old.rollout || route.state !== "active") continue;
    if (route.canary?.id !== old.canary?.id) continue;
    if (route.rollout.stepStartedAt !== old.rollout.stepStartedAt) continue;
    const [from, to] = [weights(old), weights(route)];
    if (from !== to) edits.push({ routeId: route.id, from, to });
  }
  return edits;
}
