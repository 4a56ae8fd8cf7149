/**
 * The analyzer's input: per-slice sums and sketch bins for the stable and the
 * canary arm of one route over a time window [from, to).
 *
 * Design: this is the shape the D1 readers produce (`step_rollups` for the
 * current step, or the per-minute rollups over any window) and the shape the
 * in-memory rollup in `replay/` produces from outcome events, so offline replay
 * and the live cron share every statistic. Metric names are data (see
 * `contracts/metrics.ts`); a slice lacking a metric simply has no samples.
 */

import { ROLLUP_DIMS, type RollupDim } from "../contracts/dims";
import type { GroupBins, GroupSums, MetricSums } from "../contracts/rollup";

/** Dimensions a slice can be cut by (the `dim` column of the rollup tables). */
export const SLICE_DIMS: readonly SliceDim[] = ROLLUP_DIMS.map((d) => d.dim);
export type SliceDim = RollupDim;

/** Segment dim value for requests that matched no segment rule. */
export const DEFAULT_SEGMENT = "default";

/** The value a dim records for a missing fact (`default`, `unknown`, `none`; see contracts/dims.ts). */
export function fallbackValue(dim: SliceDim): string {
  return ROLLUP_DIMS.find((d) => d.dim === dim)?.fallback ?? "";
}

export type { GroupBins, GroupSums, MetricSums } from "../contracts/rollup";

/** Sketch bins (see `contracts/sketch.ts`) as [bin index, count] pairs, any order. */
export type SketchBins = Array<[bin: number, count: number]>;

export interface ArmData {
  metrics: Record<string, MetricSums>;
  sketches: Record<string, SketchBins>;
  /**
   * Per metric, its count and sum per assignment-unit group, when every
   * sample had a unit (the step rollups; absent from per-minute windows).
   */
  groups?: Record<string, GroupSums>;
  /** Per sketched metric, its counts per (unit group, coarse bin), when complete. */
  groupBins?: Record<string, GroupBins>;
}

export interface Slice {
  dim: SliceDim;
  value: string;
  stable: ArmData;
  canary: ArmData;
}

/**
 * Requests the edge assigned to each arm of one segment in the step, logged
 * or not, per unit group as [group, n, n] (the shape of `GroupSums`), and
 * how many of each arm's outcome events it sent (sampled in).
 */
export interface SegmentAssignments {
  segment: string;
  stable: GroupSums;
  canary: GroupSums;
  sent: { stable: number; canary: number };
}

/** Everything the analyzer sees for one route and rollout over [from, to), epoch ms. */
export interface WindowData {
  from: number;
  to: number;
  slices: Slice[];
  /**
   * The step's exact assignment counts per segment (`step_assignments`),
   * when the edge sent any; absent in replay, simulation and per-minute windows.
   */
  assignments?: SegmentAssignments[];
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
