/**
 * The facts about a request that routing decisions may use. Built once at the
 * edge from `request.cf`, headers and the parsed body; everything downstream
 * (segment matching, assignment, the outcome event) reads these facts only.
 */
export interface RequestFacts {
  country: string | null;
  continent: string | null;
  region: string | null;
  colo: string | null;
  /** Named cohort from the trusted `x-canary-cohort` header. */
  cohort: string | null;
  /** Stable identity for sticky assignment, or null (then assignment is per request). */
  userKey: string | null;
  path: string;
  /** Requested model alias (the body's `model`). */
  model: string;
  stream: boolean;
  /** Request class from `x-request-class`, recorded and matchable. */
  requestClass: string | null;
  /** Lower-case header name → value, for segment rules on headers. */
  header: (name: string) => string | null;
}
