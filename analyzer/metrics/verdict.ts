/**
 * One metric on one slice: compare the arms, then judge the interval against
 * the threshold.
 *
 * - pass: the whole interval is on the good side of the limit (non-inferiority).
 * - fail: the interval lies entirely beyond the *fail bar* and the point
 *   estimate is beyond the limit. The fail bar sits a fraction `failMargin` of
 *   the way from "no difference" to the limit: margin 1 is the textbook rule
 *   (interval entirely beyond the threshold); margin 0 is "significantly worse
 *   and materially so", the significance-plus-effect-size rule of canary
 *   judges such as Kayenta. In between, a canary whose true effect is within
 *   margin × threshold of stable fails with probability at most alpha, while a
 *   clear regression fails long before its interval clears the limit itself
 *   (see docs/statistics.md for the trade-off and the measured rates).
 * - inconclusive otherwise; insufficient below the minimum samples per arm.
 */
import {
  designEffect,
  indicatorDesignEffect,
  stableSide,
  type DesignEffect,
} from "../stats/clustered";
import { binIndex } from "../../contracts/sketch";
import type { ArmMoments, EffectInterval, MeanKind } from "../stats/means";
import { armMoments, differenceCS, ratioCS } from "../stats/means";
import type { TailTest } from "../stats/quantiles";
import {
  quantileDifferenceCS,
  quantileEstimate,
  quantileRatioCS,
  tailExceedance,
} from "../stats/quantiles";
import type { ArmData, SketchBins, Slice, SliceDim } from "../window";
import { metricSums, sliceLabel } from "../window";
import type { Direction, MetricDefinition, MetricStat } from "./definitions";
import { defaultMinSamples, quantileOf } from "./definitions";
import { num, pp } from "./format";

export type VerdictKind = "pass" | "fail" | "inconclusive" | "insufficient";

export interface VerdictSettings {
  /**
   * Design effects measured on `all` for this metric: a floor for a smaller
   * slice's own, whose few users make the between-group variance an
   * underestimate more often than not (few clusters). Absent on `all`.
   */
  clusteringFloor?: { stable: number; canary: number };
  /**
   * Error probability of each one-sided claim (fail or pass), after any
   * multiplicity split; the interval is two-sided with each side at alpha.
   */
  alpha: number;
  /** Sample size of the smaller arm where the intervals are tightest. */
  planned: number;
  /** Where the fail bar sits between no difference (0) and the limit (1). */
  failMargin: number;
}

/** The full record behind one verdict, for logs, the dashboard and the audit trail. */
export interface VerdictRecord {
  metric: string;
  source: string;
  stat: MetricStat;
  critical: boolean;
  slice: { dim: SliceDim; value: string };
  verdict: VerdictKind;
  stable: { n: number; estimate: number | null };
  canary: { n: number; estimate: number | null };
  /** canary − stable (`difference`) or canary / stable (`ratio`) with its interval. */
  effect: {
    kind: "difference" | "ratio";
    estimate: number | null;
    lower: number | null;
    upper: number | null;
  };
  threshold: {
    kind: "absolute" | "relative";
    value: number;
    direction: Direction;
    /** The threshold on the effect's scale, e.g. 0.01 or 1.2. */
    limit: number;
  };
  alpha: number;
  /** The interval must lie beyond this value (and the estimate beyond `limit`) to fail. */
  failBar: number;
  /**
   * How much each arm's requests cluster by user: the design effect (1 =
   * independent requests, see analyzer/stats/clustered.ts) and the unit
   * groups with data it was measured on (0: no groups, taken as independent).
   */
  clustering: { stable: DesignEffect; canary: DesignEffect };
  /** Quantiles: the tail-exceedance test at the fail bar (`tailExceedance`), when both arms have data. */
  tail?: TailTest;
  method: string;
  /** One line for humans, e.g. `latency_p95 on all: fail, canary/stable 1.31 [1.08, 1.6] entirely above the fail bar 1.05, estimate above the limit 1.2 (n 412 canary / 40102 stable)`. */
  reason: string;
}

interface Comparison {
  stableN: number;
  canaryN: number;
  stableEstimate: number | null;
  canaryEstimate: number | null;
  effect: EffectInterval | null;
  clustering: { stable: DesignEffect; canary: DesignEffect };
  tail?: TailTest;
  method: string;
}

/** An arm's moments and its design effect (variance not yet scaled). */
function clusteredMoments(
  arm: ArmData,
  source: string,
  kind: MeanKind,
): { moments: ArmMoments | null; deff: DesignEffect } {
  const sums = metricSums(arm, source);
  const moments = armMoments(sums, kind);
  if (!moments) return { moments, deff: { deff: 1, groups: 0 } };
  return { moments, deff: designEffect(sums, arm.groups?.[source], moments.variance) };
}

/** A design effect raised to `floor` (the `all` slice's) when that is larger. */
const atLeast = (d: DesignEffect, floor: number | undefined): DesignEffect =>
  floor !== undefined && floor > d.deff ? { ...d, deff: floor } : d;

const scaled = (m: ArmMoments | null, d: DesignEffect): ArmMoments | null =>
  m && { ...m, variance: m.variance * d.deff };

const clusteringText = (c: Comparison["clustering"]) =>
  c.stable.groups > 0 || c.canary.groups > 0
    ? `; cluster-robust variance over unit groups (design effect ${num(c.canary.deff)} canary / ${num(c.stable.deff)} stable)`
    : "";

function compare(def: MetricDefinition, slice: Slice, s: VerdictSettings): Comparison {
  const relative = def.threshold.kind === "relative";
  const q = quantileOf(def.stat);
  if (q !== null) {
    const stableBins = slice.stable.sketches[def.source] ?? [];
    const canaryBins = slice.canary.sketches[def.source] ?? [];
    const higherIsWorse = def.direction === "higher_is_worse";
    const sign = higherIsWorse ? 1 : -1;
    const bar = (relative ? 1 : 0) + sign * def.threshold.value * s.failMargin;
    // Quantiles cluster through the share of samples beyond a value: measured
    // at each arm's quantile for the bounds, at the fail bar for the tail test.
    // A tail's share varies between groups through a few counts per group,
    // which understates it: the median's (all samples take part, and it
    // clusters at least as much in log-normal worlds) is always a floor.
    const deffAt = (arm: ArmData, bins: SketchBins, value: number | null, below = false) => {
      if (value === null || !(value > 0)) return { deff: 1, groups: 0 };
      const groupBins = arm.groupBins?.[def.source];
      const at = indicatorDesignEffect(groupBins, binIndex(value), below);
      const median = quantileEstimate(bins, 0.5);
      if (median === null || !(median > 0)) return at;
      const floor = indicatorDesignEffect(groupBins, binIndex(median), below);
      return floor.deff > at.deff ? floor : at;
    };
    const stableQ = quantileEstimate(stableBins, q);
    const floor = s.clusteringFloor;
    const canaryD = atLeast(
      deffAt(slice.canary, canaryBins, quantileEstimate(canaryBins, q)),
      floor?.canary,
    );
    // The stable side keeps its own design effect here (not `stableSide`'s
    // cap at the canary's): heavy users who stay in stable move its quantile
    // from seed to seed, and a tail test that ignored it was overconfident
    // (docs/statistics.md › "Quantiles: the stable side's own clustering").
    const stableD = atLeast(deffAt(slice.stable, stableBins, stableQ), floor?.stable);
    const threshold = stableQ === null ? null : relative ? stableQ * bar : stableQ + bar;
    const canaryTailD = atLeast(
      deffAt(slice.canary, canaryBins, threshold, !higherIsWorse),
      floor?.canary,
    );
    const cmp = (relative ? quantileRatioCS : quantileDifferenceCS)(
      stableBins,
      canaryBins,
      q,
      s.alpha,
      s.planned,
      { stable: stableD.deff, canary: canaryD.deff },
    );
    const tail = tailExceedance(
      stableBins,
      canaryBins,
      { q, bar, kind: relative ? "ratio" : "difference", higherIsWorse },
      { stable: stableD.deff, canary: canaryTailD.deff },
      { alpha: Math.min(0.5, 2 * s.alpha), planned: s.planned },
    );
    const clustered = { stable: stableD, canary: canaryD };
    const base: Comparison = {
      stableN: cmp.stable.n,
      canaryN: cmp.canary.n,
      stableEstimate: cmp.stable.estimate,
      canaryEstimate: cmp.canary.estimate,
      effect: cmp.effect,
      clustering: clustered,
      method: `order-statistic bounds from a beta-binomial confidence sequence per arm (alpha/2 each), ±1% sketch error, ${relative ? "ratio" : "difference"} of opposite ends; fails also on the canary's share beyond the fail bar × stable's quantile (tail exceedance, each side at alpha)${clusteringText(clustered)}`,
    };
    return tail ? { ...base, tail } : base;
  }
  const kind: MeanKind = def.stat === "rate" ? "rate" : "mean";
  const stable = clusteredMoments(slice.stable, def.source, kind);
  const canary = clusteredMoments(slice.canary, def.source, kind);
  const canaryDeff = atLeast(canary.deff, s.clusteringFloor?.canary);
  const clustering = {
    stable: stableSide(atLeast(stable.deff, s.clusteringFloor?.stable), canaryDeff),
    canary: canaryDeff,
  };
  const stableM = scaled(stable.moments, clustering.stable);
  const canaryM = scaled(canary.moments, clustering.canary);
  // Each verdict claims one side (fail: the bad side, pass: the good side).
  // The asymptotic boundary is symmetric, so the two-sided sequence at 2α
  // errs on each side with probability α (up to the negligible chance of
  // crossing both). Quantile bounds are exact and already one-sided at α.
  const cs = { alpha: Math.min(0.5, 2 * s.alpha), planned: s.planned };
  const effect =
    stableM && canaryM
      ? relative
        ? ratioCS(stableM, canaryM, cs)
        : differenceCS(stableM, canaryM, cs)
      : null;
  return {
    stableN: stableM?.n ?? 0,
    canaryN: canaryM?.n ?? 0,
    stableEstimate: stableM?.mean ?? null,
    canaryEstimate: canaryM?.mean ?? null,
    effect,
    clustering,
    method:
      (relative
        ? "asymptotic normal-mixture confidence sequence on the log ratio (delta method), each side at alpha"
        : "asymptotic normal-mixture confidence sequence on the difference, each side at alpha") +
      clusteringText(clustering),
  };
}

/**
 * The verdict of an interval: pass when it lies on the good side of `limit`,
 * fail when it lies beyond `failBar` and its estimate beyond `limit`.
 */
export function judge(
  effect: EffectInterval,
  direction: Direction,
  limit: number,
  failBar: number,
): "pass" | "fail" | "inconclusive" {
  if (direction === "higher_is_worse") {
    if (effect.upper < limit) return "pass";
    return effect.lower > failBar && effect.estimate > limit ? "fail" : "inconclusive";
  }
  if (effect.lower > limit) return "pass";
  return effect.upper < failBar && effect.estimate < limit ? "fail" : "inconclusive";
}

/**
 * Evaluates one metric definition on one slice.
 *
 * @example
 * const v = evaluateMetric(def, findSlice(window, "all")!, { alpha: 0.0125, planned: 1000,
 *   failMargin: 0.25 });
 * if (v.verdict === "fail") console.log(v.reason);
 */
export function evaluateMetric(
  def: MetricDefinition,
  slice: Slice,
  settings: VerdictSettings,
): VerdictRecord {
  const relative = def.threshold.kind === "relative";
  const sign = def.direction === "higher_is_worse" ? 1 : -1;
  const noEffect = relative ? 1 : 0;
  const limit = noEffect + sign * def.threshold.value;
  const failBar = noEffect + sign * def.threshold.value * settings.failMargin;
  const cmp = compare(def, slice, settings);
  const minSamples = def.minSamples ?? defaultMinSamples(def.stat);
  const base = {
    metric: def.name,
    source: def.source,
    stat: def.stat,
    critical: def.critical,
    slice: { dim: slice.dim, value: slice.value },
    stable: { n: cmp.stableN, estimate: cmp.stableEstimate },
    canary: { n: cmp.canaryN, estimate: cmp.canaryEstimate },
    effect: {
      kind: relative ? ("ratio" as const) : ("difference" as const),
      estimate: cmp.effect?.estimate ?? null,
      lower: cmp.effect?.lower ?? null,
      upper: cmp.effect?.upper ?? null,
    },
    threshold: { ...def.threshold, direction: def.direction, limit },
    alpha: settings.alpha,
    failBar,
    clustering: cmp.clustering,
    ...(cmp.tail ? { tail: cmp.tail } : {}),
    method: cmp.method,
  };
  const where = `${def.name} on ${sliceLabel(slice)}`;
  const c = cmp.clustering;
  const counts =
    `n ${cmp.canaryN} canary / ${cmp.stableN} stable` +
    (c.canary.deff > 1 || c.stable.deff > 1
      ? `, design effect ${num(c.canary.deff)} / ${num(c.stable.deff)} over ${c.canary.groups} / ${c.stable.groups} unit groups`
      : "");
  if (Math.min(cmp.stableN, cmp.canaryN) < minSamples || cmp.effect === null) {
    return {
      ...base,
      verdict: "insufficient",
      reason: `${where}: insufficient (${counts}, need ${minSamples} per arm)`,
    };
  }
  const exact = judge(cmp.effect, def.direction, limit, failBar);
  const beyondLimit =
    def.direction === "higher_is_worse" ? cmp.effect.estimate > limit : cmp.effect.estimate < limit;
  const tailFails =
    exact === "inconclusive" && cmp.tail !== undefined && cmp.tail.effect.lower > 0 && beyondLimit;
  const verdict = tailFails ? "fail" : exact;
  const show = def.stat === "rate" && !relative ? pp : num;
  const effectText = `${relative ? "canary/stable" : "canary−stable"} ${show(cmp.effect.estimate)} [${show(cmp.effect.lower)}, ${show(cmp.effect.upper)}]`;
  const side = def.direction === "higher_is_worse" ? "above" : "below";
  const tail = cmp.tail;
  const why =
    verdict === "pass"
      ? `inside the limit ${show(limit)}`
      : tailFails && tail
        ? `estimate ${side} the limit ${show(limit)}; canary share ${side} ${num(tail.threshold)} (the fail bar on stable's ${def.stat}) ${pp(tail.beyond / tail.canaryN)}, ${pp(tail.effect.estimate)} [${pp(tail.effect.lower)}, ${pp(tail.effect.upper)}] over the ${pp(tail.reference)} a canary at the bar would have`
        : verdict === "fail"
          ? `entirely ${side} the fail bar ${show(failBar)}, estimate ${side} the limit ${show(limit)}`
          : `not conclusive against the limit ${show(limit)} (fail bar ${show(failBar)})`;
  return {
    ...base,
    verdict,
    reason: `${where}: ${verdict}, ${effectText} ${why} (${counts})`,
  };
}
