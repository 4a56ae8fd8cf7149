/**
 * The rollup increments of a set of outcome rows, aggregated in the consumer
 * instead of in SQL: per-minute sums (the dimensions `MINUTE_ROLLUP_DIMS`
 * keeps, `contracts/storage.ts`), per-minute sketch bins (the `all`
 * dimension: time series and /metrics), and per-step aggregates (every
 * dimension, sums, unit-group sums and the whole sketch: what the analyzer
 * judges).
 * What one event adds is `contracts/rollup.ts`, the definition the offline
 * replay uses too. Pure. The store writes them in the transaction that
 * inserts exactly these rows, so they count each request once
 * (docs/idempotent-ingest.md).
 *
 * A queue batch's events are close in time, so a batch of 100 collapses to a
 * few hundred increments; SQL then only upserts those, instead of expanding
 * every (row, dimension, metric) observation itself.
 */
import type { rollupBins, rollupMetrics, stepRollups } from "../../contracts/db/schema";
import { ROLLUP_DIMS, type RollupDim } from "../../contracts/dims";
import { addSample, type MetricSums } from "../../contracts/rollup";
import { coarseBin, groupBinKey } from "../../contracts/sketch";
import type { IngestRow } from "./rows";

export type MinuteSumRow = typeof rollupMetrics.$inferInsert;
export type MinuteBinRow = typeof rollupBins.$inferInsert;
/** A `step_rollups` increment; `bins` is the sketch as `{"<bin>": count}` JSON, or null. */
export type StepRow = typeof stepRollups.$inferInsert;

export interface Increments {
  minuteSums: MinuteSumRow[];
  minuteBins: MinuteBinRow[];
  steps: StepRow[];
}

/** Sums of one metric, its sketch bins when it is sketched, and (per step) its unit-group sums. */
interface Acc extends MetricSums {
  bins: Map<number, number> | null;
  /** Group → [n, sum]; null while no sample had a unit. */
  groups: Map<number, [number, number]> | null;
  /** Sketched metrics: `groupBinKey(group, coarse bin)` → count. */
  groupBins: Map<number, number> | null;
  /** Samples without a unit (the row's groups are then incomplete). */
  noUnit: number;
}

/** The accumulators of one key head (minute or step), per slice and metric. */
interface Group<H> {
  head: H;
  slices: Map<string, { dim: string; dimValue: string; metrics: Map<string, Acc> }>;
}

type MinuteHead = Pick<MinuteSumRow, "minute" | "routeId" | "rolloutId" | "releaseId" | "variant">;
type StepHead = Pick<StepRow, "routeId" | "rolloutId" | "step" | "variant" | "releaseId">;

/**
 * Nested maps with short keys: one long string key per observation would be
 * hashed afresh for every lookup, which was most of the consumer's CPU.
 */
/**
 * A per-minute row: the key spelled out as a literal, then `tail` (the sums or
 * one bin). Spreading a prepared key object instead measured 3× slower per
 * batch in Node (V8 copies it property by property).
 */
function minuteRow<T extends object>(
  h: MinuteHead,
  dim: string,
  dimValue: string,
  metric: string,
  tail: T,
) {
  return {
    minute: h.minute,
    routeId: h.routeId,
    rolloutId: h.rolloutId,
    releaseId: h.releaseId,
    variant: h.variant,
    dim,
    dimValue,
    metric,
    ...tail,
  };
}

function groupOf<H>(groups: Map<string, Group<H>>, key: string, head: H): Group<H> {
  let g = groups.get(key);
  if (!g) groups.set(key, (g = { head, slices: new Map() }));
  return g;
}

type Metrics = Map<string, Acc>;

function sliceOf(g: Group<unknown>, dim: string, dimValue: string): Metrics {
  // JSON keeps any two (dim, value) pairs apart, whatever characters they hold.
  const key = JSON.stringify([dim, dimValue]);
  let slice = g.slices.get(key);
  if (!slice) g.slices.set(key, (slice = { dim, dimValue, metrics: new Map() }));
  return slice.metrics;
}

function accOf(metrics: Metrics, metric: string): Acc {
  let acc = metrics.get(metric);
  if (!acc)
    metrics.set(
      metric,
      (acc = {
        n: 0,
        sum: 0,
        sumSq: 0,
        bins: null,
        groups: null,
        groupBins: null,
        noUnit: 0,
      }),
    );
  return acc;
}

function add(acc: Acc, v: number, bin: number | null): void {
  addSample(acc, v);
  if (bin !== null) {
    acc.bins ??= new Map();
    acc.bins.set(bin, (acc.bins.get(bin) ?? 0) + 1);
  }
}

function addToGroup(acc: Acc, v: number, bin: number | null, unit: number | null): void {
  if (unit === null) {
    acc.noUnit += 1;
    return;
  }
  acc.groups ??= new Map();
  const g = acc.groups.get(unit);
  if (g) {
    g[0] += 1;
    g[1] += v;
  } else acc.groups.set(unit, [1, v]);
  if (bin !== null) {
    acc.groupBins ??= new Map();
    const key = groupBinKey(unit, coarseBin(bin));
    acc.groupBins.set(key, (acc.groupBins.get(key) ?? 0) + 1);
  }
}

/**
 * `{"<group>": [n, sum]}` of a step accumulator; null when any sample lacked a
 * unit (a partial set of groups would understate the variance between them).
 */
function groupsJson(acc: Acc): { groups: string | null; groupBins: string | null } {
  const complete = acc.noUnit === 0;
  return {
    groups: complete && acc.groups ? JSON.stringify(Object.fromEntries(acc.groups)) : null,
    groupBins: complete && acc.groupBins ? JSON.stringify(Object.fromEntries(acc.groupBins)) : null,
  };
}

const EVERY_DIM: readonly RollupDim[] = ROLLUP_DIMS.map((d) => d.dim);

/**
 * Aggregates rows (each counted once; the caller passes distinct request ids)
 * per step under every rollup dimension, and per minute under `all` and
 * `minuteDims` (default: every dimension). Step aggregates are kept only for rows routed
 * during a rollout step (`step > 0`), the only ones the analyzer reads.
 *
 * @example
 * const inc = rollupIncrements(events.map(toIngestRow), ["all"]);
 * inc.minuteSums.find((r) => r.dim === "all" && r.metric === "requests")?.n; // rows.length
 * inc.minuteSums.some((r) => r.dim === "country"); // false; inc.steps still has country rows
 */
export function rollupIncrements(
  rows: readonly IngestRow[],
  minuteDims: readonly RollupDim[] = EVERY_DIM,
): Increments {
  // `all` always: /metrics and the dashboard's series read it.
  const perMinute = new Set<string>(["all", ...minuteDims]);
  const minutes = new Map<string, Group<MinuteHead>>();
  const steps = new Map<string, Group<StepHead>>();
  for (const { row, increment } of rows) {
    const { minute, slices, triples, unit } = increment;
    const { routeId, rolloutId, releaseId, variant, step } = row;
    const m = groupOf(minutes, JSON.stringify([minute, routeId, rolloutId, releaseId, variant]), {
      minute,
      routeId,
      rolloutId,
      releaseId,
      variant,
    });
    const st =
      step > 0 && rolloutId !== ""
        ? groupOf(steps, JSON.stringify([routeId, rolloutId, step, variant, releaseId]), {
            routeId,
            rolloutId,
            step,
            variant,
            releaseId,
          })
        : null;
    for (const [dim, dimValue] of slices) {
      const ms = perMinute.has(dim) ? sliceOf(m, dim, dimValue) : null;
      const ss = st ? sliceOf(st, dim, dimValue) : null;
      // Per-minute sketches for `all` only: per-slice ones are per step.
      const all = dim === "all";
      for (const [metric, v, bin] of triples) {
        if (ms) add(accOf(ms, metric), v, all ? bin : null);
        if (ss) {
          const acc = accOf(ss, metric);
          add(acc, v, bin);
          addToGroup(acc, v, bin, unit);
        }
      }
    }
  }
  const minuteSums: MinuteSumRow[] = [];
  const minuteBins: MinuteBinRow[] = [];
  for (const { head, slices } of minutes.values())
    for (const { dim, dimValue, metrics } of slices.values())
      for (const [metric, { n, sum, sumSq, bins }] of metrics) {
        minuteSums.push(minuteRow(head, dim, dimValue, metric, { n, sum, sumSq }));
        for (const [bin, count] of bins ?? [])
          minuteBins.push(minuteRow(head, dim, dimValue, metric, { bin, count }));
      }
  const stepRows: StepRow[] = [];
  for (const { head: h, slices } of steps.values())
    for (const { dim, dimValue, metrics } of slices.values())
      for (const [metric, acc] of metrics) {
        const { n, sum, sumSq, bins } = acc;
        stepRows.push({
          routeId: h.routeId,
          rolloutId: h.rolloutId,
          step: h.step,
          variant: h.variant,
          releaseId: h.releaseId,
          dim,
          dimValue,
          metric,
          n,
          sum,
          sumSq,
          bins: bins ? JSON.stringify(Object.fromEntries(bins)) : null,
          ...groupsJson(acc),
        });
      }
  return { minuteSums, minuteBins, steps: stepRows };
}
