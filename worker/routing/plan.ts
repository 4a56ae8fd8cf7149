/**
 * The routing plan for one request: route, assigned variant, the release to
 * call, and the stable release to fall back to. Pure; the random bucket for
 * unkeyed requests is passed in so tests are deterministic.
 */
import type { Release, Route, RoutingConfig } from "../../contracts/config";
import type { Variant } from "../../contracts/outcome";
import { bucketOf, variantFor } from "../../contracts/assignment";
import type { RequestFacts } from "./facts";
import { resolveWeight, selectRoute } from "./match";

export interface RoutePlan {
  route: Route;
  variant: Variant;
  release: Release;
  /** Stable release for failover when the canary fails before its first byte. */
  stable: Release;
  weight: number;
  segment: string | null;
  bucket: number;
}

export type PlanResult = { ok: true; plan: RoutePlan } | { ok: false; reason: "no_route" };

/**
 * @example
 * const r = planRequest(config, facts, randomBucket());
 * if (r.ok) fetch(r.plan.release.originUrl + facts.path);
 */
export function planRequest(
  config: RoutingConfig,
  facts: RequestFacts,
  randomBucket: number,
): PlanResult {
  const route = selectRoute(config, facts.model, facts.path);
  if (!route) return { ok: false, reason: "no_route" };
  const { weight, segment } = resolveWeight(route, facts);
  const canary = route.canary;
  const bucket =
    canary && facts.userKey !== null ? bucketOf(facts.userKey, route.id, canary.id) : randomBucket;
  const variant = canary ? variantFor(bucket, weight) : "stable";
  return {
    ok: true,
    plan: {
      route,
      variant,
      release: variant === "canary" && canary ? canary : route.stable,
      stable: route.stable,
      weight,
      segment: segment?.name ?? null,
      bucket,
    },
  };
}
