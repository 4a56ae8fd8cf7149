/**
 * Every metric definition on every slice of a window, with the fail budget
 * split across critical metrics and slices (see `stats/multiplicity.ts`).
 *
 * Slices count towards the split only when both arms have enough requests
 * for the smallest critical minimum: a country seen a handful of times cannot
 * fail, so it should not dilute the budget of the others. Likewise an
 * optional critical metric with no observations on `all` cannot fail and takes
 * no share.
 */
import { splitAlpha } from "../stats/multiplicity";
import type { Slice, WindowData } from "../window";
import { metricSums, SLICE_DIMS } from "../window";
import type { MetricDefinition } from "./definitions";
import { defaultMinSamples, quantileOf } from "./definitions";
import type { VerdictRecord } from "./verdict";
import { evaluateMetric } from "./verdict";

export interface EvaluateOptions {
  /** Family-wise false-fail probability across critical metrics and slices. */
  alpha: number;
  planned: number;
  failMargin: number;
}

/** Whether a metric has any observation in either arm of a slice. */
export function observed(def: MetricDefinition, slice: Slice | undefined): boolean {
  if (!slice) return false;
  const has = (arm: Slice["stable"]) =>
    quantileOf(def.stat) !== null
      ? (arm.sketches[def.source] ?? []).length > 0
      : metricSums(arm, def.source).n > 0;
  return has(slice.stable) || has(slice.canary);
}

/** Slices in dimension order (`SLICE_DIMS`), then by value. */
function bySlice(a: Slice, b: Slice): number {
  const d = SLICE_DIMS.indexOf(a.dim) - SLICE_DIMS.indexOf(b.dim);
  return d !== 0 ? d : a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/**
 * Verdicts for all definitions on all slices (`all` first, then by dimension
 * and value, whatever order the reader returned them in; a metric with no
 * observations on `all` only gets its insufficient verdict there). Each
 * slice's design effects are at least those `all` measured for the metric.
 *
 * @example evaluateWindow(window, policy.metrics, { alpha: 0.05, planned: 1000, failMargin: 0.25 })
 */
export function evaluateWindow(
  window: WindowData,
  metrics: readonly MetricDefinition[],
  options: EvaluateOptions,
): VerdictRecord[] {
  const all = window.slices.find((s) => s.dim === "all");
  const critical = metrics.filter((m) => m.critical && (!m.optional || observed(m, all)));
  const minRequests = Math.min(
    ...(critical.length > 0 ? critical : metrics).map(
      (m) => m.minSamples ?? defaultMinSamples(m.stat),
    ),
  );
  const others = window.slices.filter((s) => s.dim !== "all").sort(bySlice);
  const testable = others.filter(
    (s) =>
      Math.min(metricSums(s.stable, "requests").n, metricSums(s.canary, "requests").n) >=
      minRequests,
  );
  const split = splitAlpha(options.alpha, critical.length, testable.length);
  const ordered = [...window.slices.filter((s) => s.dim === "all"), ...others];
  // A metric absent from `all` is absent everywhere: one insufficient verdict
  // on `all` says so, without one per slice.
  const present = all ? metrics.filter((m) => observed(m, all)) : metrics;
  const out: VerdictRecord[] = [];
  // Design effects on `all` floor those of the smaller slices (fewer users
  // there make the between-group variance too low more often than not).
  const floors = new Map<string, { stable: number; canary: number }>();
  for (const slice of ordered) {
    const onAll = slice.dim === "all";
    const alpha = onAll ? split.all : split.other;
    for (const def of onAll ? metrics : present) {
      const floor = onAll ? undefined : floors.get(def.name);
      const v = evaluateMetric(def, slice, {
        alpha,
        planned: options.planned,
        failMargin: options.failMargin,
        ...(floor ? { clusteringFloor: floor } : {}),
      });
      if (onAll && Number.isFinite(v.clustering.canary.deff)) {
        floors.set(def.name, {
          stable: v.clustering.stable.deff,
          canary: v.clustering.canary.deff,
        });
      }
      out.push(v);
    }
  }
  return out;
}
