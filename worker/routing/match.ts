/**
 * Route selection and segment matching: which route serves a request, and
 * which canary weight applies to it. Pure: config and facts in, decision out.
 */
import type { Route, RoutingConfig, SegmentMatch, SegmentRule } from "../../contracts/config";
import { effectiveRouteWeight } from "../../contracts/config";
import type { RequestFacts } from "./facts";

/** The route serving a model alias on a path, or null. */
export function selectRoute(config: RoutingConfig, model: string, path: string): Route | null {
  for (const route of config.routes) {
    if (!route.models.includes(model)) continue;
    if (route.paths && !route.paths.includes(path)) continue;
    return route;
  }
  return null;
}

const inList = (list: readonly string[] | undefined, value: string | null): boolean =>
  list === undefined || (value !== null && list.includes(value));

/** True when every field the match names agrees with the facts (AND across fields, OR within). */
export function segmentMatches(match: SegmentMatch, facts: RequestFacts): boolean {
  if (!inList(match.countries, facts.country)) return false;
  if (!inList(match.continents, facts.continent)) return false;
  if (!inList(match.regions, facts.region)) return false;
  if (!inList(match.colos, facts.colo)) return false;
  if (!inList(match.cohorts, facts.cohort)) return false;
  if (!inList(match.userKeys, facts.userKey)) return false;
  if (!inList(match.paths, facts.path)) return false;
  if (!inList(match.models, facts.model)) return false;
  if (match.stream !== undefined && match.stream !== facts.stream) return false;
  if (match.headers) {
    for (const [name, values] of Object.entries(match.headers)) {
      if (!inList(values, facts.header(name))) return false;
    }
  }
  return true;
}

export interface WeightDecision {
  /** Canary weight in percent that applies to this request. */
  weight: number;
  /** The first matching segment rule, or null for the route default. */
  segment: SegmentRule | null;
}

/**
 * The canary weight for a request: the first matching segment rule's weight,
 * else the route's default; always 0 when the route has no canary or is
 * rolled back or promoted.
 */
export function resolveWeight(route: Route, facts: RequestFacts): WeightDecision {
  const segment = route.segments.find((s) => segmentMatches(s.match, facts)) ?? null;
  if (
    effectiveRouteWeight(route) === 0 &&
    (!route.canary || route.state === "rolled_back" || route.state === "promoted")
  ) {
    return { weight: 0, segment };
  }
  return { weight: segment ? segment.weight : route.weight, segment };
}
