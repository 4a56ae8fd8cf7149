/**
 * Segment rules for synthetic requests, following the edge's rules on the
 * fields simulated requests have: the first segment rule whose match accepts
 * the request decides the canary weight, else the route weight; a route that
 * is rolled back or promoted (or has no canary) serves stable only.
 */
import type { Route, SegmentMatch } from "../../contracts/config";

export interface SyntheticRequest {
  country: string;
  cohort?: string;
  requestClass?: string;
}

function matches(m: SegmentMatch, r: SyntheticRequest): boolean {
  if (m.countries && !m.countries.includes(r.country)) return false;
  if (m.cohorts && !(r.cohort !== undefined && m.cohorts.includes(r.cohort))) return false;
  if (m.headers) {
    for (const [name, values] of Object.entries(m.headers)) {
      if (name !== "x-request-class") return false;
      if (!(r.requestClass !== undefined && values.includes(r.requestClass))) return false;
    }
  }
  const known = new Set(["countries", "cohorts", "headers"]);
  return Object.keys(m).every((k) => known.has(k));
}

/** The segment rule name (null for the default) and canary weight for a request. */
export function segmentFor(
  route: Route,
  r: SyntheticRequest,
): { segment: string | null; weight: number } {
  for (const rule of route.segments) {
    if (matches(rule.match, r)) return { segment: rule.name, weight: rule.weight };
  }
  return { segment: null, weight: route.weight };
}

/** Whether the route sends any traffic to a canary at all. */
export function servesCanary(route: Route): boolean {
  return route.canary !== undefined && route.state !== "rolled_back" && route.state !== "promoted";
}
