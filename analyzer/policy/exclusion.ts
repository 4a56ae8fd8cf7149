/**
 * Segment exclusion: when a critical metric fails in one slice only, the
 * canary stops serving that slice through a weight-0 segment rule at the front
 * of the route's rules, named `exclude-<dim>-<value>`, and the rollout goes on
 * for everyone else.
 *
 * A slice maps to a rule match only when the edge can recognise it: a country
 * by its ISO code, a cohort by name, a request class by the `x-request-class`
 * header, a segment by copying the match of the rule of that name. The
 * fallback values (`default` segment, `unknown` country, `none` cohort or
 * class) cannot be excluded: no rule matches them, and excluding them would
 * be a rollback in disguise.
 */
import type { Route, SegmentMatch, SegmentRule } from "../../contracts/config";
import type { SliceDim } from "../window";
import { fallbackValue } from "../window";

export const EXCLUSION_PREFIX = "exclude-";
/** Header the edge reads a request's class from. */
const REQUEST_CLASS_HEADER = "x-request-class";

/** Rule name for a slice, restricted to the characters segment names allow. */
export function exclusionRuleName(dim: SliceDim, value: string): string {
  const safe = value.replace(/[^a-zA-Z0-9._:-]/g, "_");
  return `${EXCLUSION_PREFIX}${dim}-${safe}`.slice(0, 128);
}

/** The segment match selecting a slice's requests, or null when it has none. */
export function exclusionMatch(route: Route, dim: SliceDim, value: string): SegmentMatch | null {
  // Requests without the fact (`default`, `unknown`, `none`) have no rule to match.
  if (value === "" || value === fallbackValue(dim) || value.length > 256) return null;
  switch (dim) {
    case "country":
      return /^[A-Z]{2}$/.test(value) ? { countries: [value] } : null;
    case "cohort":
      return { cohorts: [value] };
    case "class":
      return { headers: { [REQUEST_CLASS_HEADER]: [value] } };
    case "segment":
      return route.segments.find((s) => s.name === value)?.match ?? null;
    case "all":
      return null;
  }
}

const sameMatch = (a: SegmentMatch, b: SegmentMatch) => JSON.stringify(a) === JSON.stringify(b);

/** Whether a weight-0 rule already keeps the canary away from this slice. */
export function isExcluded(route: Route, dim: SliceDim, value: string): boolean {
  const name = exclusionRuleName(dim, value);
  const match = exclusionMatch(route, dim, value);
  return route.segments.some(
    (s) =>
      s.weight === 0 &&
      (s.name === name ||
        (match !== null && sameMatch(s.match, match)) ||
        (dim === "segment" && s.name === value)),
  );
}

/** Number of analyzer-made exclusion rules on a route. */
export function countExclusions(route: Route): number {
  return route.segments.filter((s) => s.name.startsWith(EXCLUSION_PREFIX) && s.weight === 0).length;
}

/**
 * The route with weight-0 rules for the given slices at the front (a rule of
 * the same name is replaced, other rules keep their order and weights).
 */
export function withExclusions(route: Route, rules: readonly SegmentRule[]): Route {
  const names = new Set(rules.map((r) => r.name));
  return { ...route, segments: [...rules, ...route.segments.filter((s) => !names.has(s.name))] };
}
