/**
 * Per-slice, per-variant summaries of an analyzer window for people reading
 * `GET /admin/metrics`: request and error counts, error rate, latency and
 * time-to-first-token quantiles from the rollup sketches, mean tokens/sec.
 * Pure: the same `WindowData` the analyzer judges.
 */
import { BASE_METRICS } from "../../contracts/metrics";
import { quantileFromBins } from "../../contracts/sketch";
import {
  metricSums,
  SLICE_DIMS,
  sliceLabel,
  type ArmData,
  type Slice,
  type WindowData,
} from "../../analyzer";

export interface Quantiles {
  p50: number | null;
  p95: number | null;
}

export interface ArmSummary {
  requests: number;
  errors: number;
  /** errors / requests; null without requests. */
  errorRate: number | null;
  latencyMs: Quantiles;
  ttftMs: Quantiles;
  /** Mean over successful requests with tokens; null without any. */
  tokensPerSec: number | null;
}

export interface SliceSummary {
  slice: string;
  dim: Slice["dim"];
  value: string;
  stable: ArmSummary;
  canary: ArmSummary;
}

function quantiles(arm: ArmData, metric: string): Quantiles {
  const bins = arm.sketches[metric] ?? [];
  return { p50: quantileFromBins(bins, 0.5), p95: quantileFromBins(bins, 0.95) };
}

/**
 * @example
 * summarizeArm({ metrics: { requests: { n: 4, sum: 4, sumSq: 4 }, error: { n: 4, sum: 1, sumSq: 1 } },
 *   sketches: {} });
 * // { requests: 4, errors: 1, errorRate: 0.25, latencyMs: { p50: null, p95: null }, ... }
 */
export function summarizeArm(arm: ArmData): ArmSummary {
  const { sum: requests, n: logged } = metricSums(arm, BASE_METRICS.requests);
  const errors = metricSums(arm, BASE_METRICS.error);
  // Requests are weighted by their inverse logging rate; errors are counted
  // as logged, so they are scaled by the same factor (contracts/sampling.ts).
  const scale = logged > 0 ? requests / logged : 1;
  const tps = metricSums(arm, BASE_METRICS.tokensPerSec);
  return {
    requests,
    errors: errors.sum * scale,
    errorRate: errors.n > 0 ? errors.sum / errors.n : null,
    latencyMs: quantiles(arm, BASE_METRICS.latencyMs),
    ttftMs: quantiles(arm, BASE_METRICS.ttftMs),
    tokensPerSec: tps.n > 0 ? tps.sum / tps.n : null,
  };
}

/** Every slice of the window, `all` first, then by dimension and value. */
export function summarizeWindow(window: WindowData): SliceSummary[] {
  const order = (s: Slice) => SLICE_DIMS.indexOf(s.dim);
  return [...window.slices]
    .sort((a, b) => order(a) - order(b) || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
    .map((s) => ({
      slice: sliceLabel(s),
      dim: s.dim,
      value: s.value,
      stable: summarizeArm(s.stable),
      canary: summarizeArm(s.canary),
    }));
}
