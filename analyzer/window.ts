/**
 * The analyzer's input: per-slice sums and sketch bins for the stable and the
 * canary arm of one route over a time window [from, to).
 *
 * Design: this is the shape the D1 reader produces from `rollup_metrics` and
 * `rollup_bins` (summing rows over the window's minutes) and the shape the
 * in-memory rollup in `replay/` produces from outcome events, so offline replay
 * and the live cron share every statistic. Metric names are data (see
 * `contracts/metrics.ts`); a slice lacking a metric simply has no samples.
 */

/** Dimensions a slice can be cut by (the `dim` column of the rollup tables). */
export const SLICE_DIMS = ["all", "segment", "country", "cohort", "class"] as const;
export type SliceDim = (typeof SLICE_DIMS)[number];

/** Value of the `all` slice (its value is not significant, only its dim). */
export const ALL_VALUE = "all";
/** Segment dim value for requests that matched no segment rule. */
export const DEFAULT_SEGMENT = "default";
/** Dim value for requests whose country, cohort or class is unknown (null). */
export const UNKNOWN_VALUE = "unknown";

/** Count, sum and sum of squares of one metric: enough for means and variances. */
export interface MetricSums {
  n: number;
  sum: number;
  sumSq: number;
}

/** Sketch bins (see `contracts/sketch.ts`) as [bin index, count] pairs, any order. */
export type SketchBins = Array<[bin: number, count: number]>;

export interface ArmData {
  metrics: Record<string, MetricSums>;
  sketches: Record<string, SketchBins>;
}

export interface Slice {
  dim: SliceDim;
  value: string;
  stable: ArmData;
  canary: ArmData;
}

/** Everything the analyzer sees for one route and rollout over [from, to), epoch ms. */
export interface WindowData {
  from: number;
  to: number;
  slices: Slice[];
}

export function emptyArm(): ArmData {
  return { metrics: {}, sketches: {} };
}

/** The sums of a metric in an arm (zeros when absent). */
export function metricSums(arm: ArmData, metric: string): MetricSums {
  return arm.metrics[metric] ?? { n: 0, sum: 0, sumSq: 0 };
}

/** The slice of a window for a dim and value (`all` matches on dim alone). */
export function findSlice(window: WindowData, dim: SliceDim, value?: string): Slice | undefined {
  return window.slices.find((s) => s.dim === dim && (dim === "all" || s.value === value));
}

/** Stable key of a slice, e.g. `country=DE`. */
export function sliceLabel(slice: Pick<Slice, "dim" | "value">): string {
  return slice.dim === "all" ? "all" : `${slice.dim}=${slice.value}`;
}
