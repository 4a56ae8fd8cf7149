/**
 * Rollup dimensions and their labels: the ingest writes rollups under these
 * (dim, dim_value) pairs and the analyzer reads them back by the same names,
 * so both import them from here. A null fact counts under its `fallback`.
 */

/** The facts a dimension value is read from (present on events and rows alike). */
export interface DimFacts {
  segment: string | null;
  country: string | null;
  cohort: string | null;
  requestClass: string | null;
}
type DimField = keyof DimFacts;

/** `field` null means a constant value (`all` = `*`). */
export const ROLLUP_DIMS = [
  { dim: "all", field: null, fallback: "*" },
  { dim: "segment", field: "segment", fallback: "default" },
  { dim: "country", field: "country", fallback: "unknown" },
  { dim: "cohort", field: "cohort", fallback: "none" },
  { dim: "class", field: "requestClass", fallback: "none" },
] as const satisfies ReadonlyArray<{ dim: string; field: DimField | null; fallback: string }>;

export type RollupDim = (typeof ROLLUP_DIMS)[number]["dim"];

/**
 * The `[dim, dim_value]` pairs a request counts in.
 *
 * @example
 * rollupDims({ segment: null, country: "DE", cohort: null, requestClass: "batch" });
 * // [["all", "*"], ["segment", "default"], ["country", "DE"], ["cohort", "none"], ["class", "batch"]]
 */
export function rollupDims(facts: DimFacts): Array<[RollupDim, string]> {
  return ROLLUP_DIMS.map((d) => [
    d.dim,
    d.field === null ? d.fallback : (facts[d.field] ?? d.fallback),
  ]);
}
