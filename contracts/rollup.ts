/**
 * The one definition of what an outcome event adds to the rollups. The ingest
 * (`worker/ingest/aggregate.ts`, into D1) and the offline replay
 * (`analyzer/replay/rollup.ts`, in memory) both take their increments from
 * here, and `test/integration/rollup-parity.test.ts` checks that the two
 * paths give the analyzer identical windows. Pure.
 *
 * An event counts in the minute `rollupMinute(ts)`, under every slice of
 * `rollupDims` (contracts/dims.ts), and for each of its metrics adds one
 * sample: `n += 1`, `sum += v`, `sumSq += v²`, and one count to the bin of
 * `v` when the metric is sketched (contracts/sketch.ts).
 */
import { rollupDims, type DimFacts, type RollupDim } from "./dims";
import { rollupMinute } from "./minute";
import { SKETCHED_METRICS } from "./outcome";
import { binIndex } from "./sketch";

/** Count, sum and sum of squares of one metric: enough for means and variances. */
export interface MetricSums {
  n: number;
  sum: number;
  sumSq: number;
}

/** `[metric, value, bin]`: bin is the sketch bin for sketched metrics, else null. */
export type MetricTriple = [metric: string, value: number, bin: number | null];

const SKETCHED: ReadonlySet<string> = new Set(SKETCHED_METRICS);

/** The sketch bin a metric's value adds to, or null when the metric keeps no sketch. */
export function metricBin(metric: string, value: number): number | null {
  return SKETCHED.has(metric) ? binIndex(value) : null;
}

/**
 * An event's metrics as triples sorted by name (how `outcomes.metrics` stores them).
 *
 * @example
 * metricTriples({ requests: 1, latency_ms: 120 });
 * // [["latency_ms", 120, binIndex(120)], ["requests", 1, null]]
 */
export function metricTriples(metrics: Readonly<Record<string, number>>): MetricTriple[] {
  return Object.entries(metrics)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => [name, value, metricBin(name, value)]);
}

/** Adds one sample to a metric's sums. */
export function addSample(s: MetricSums, value: number): void {
  s.n += 1;
  s.sum += value;
  s.sumSq += value * value;
}

/** Adds one set of sums into another. */
export function addSums(into: MetricSums, other: MetricSums): void {
  into.n += other.n;
  into.sum += other.sum;
  into.sumSq += other.sumSq;
}

/** The fields of an event the rollups read. */
export interface RollupFacts extends DimFacts {
  ts: number;
  metrics: Readonly<Record<string, number>>;
  /** Assignment-unit group (contracts/assignment.ts); absent: none known. */
  unit?: number | undefined;
}

/** Where one event counts: its minute, its slices, its unit group and its metric samples. */
export interface RollupIncrement {
  minute: number;
  slices: Array<[RollupDim, string]>;
  /** The step rollups add the samples to this unit group too; null: to none. */
  unit: number | null;
  triples: MetricTriple[];
}

/**
 * Per unit group, the count and sum of one metric: `[group, n, sum]` triples
 * in any order. Enough for the variance *between* groups, which carries the
 * correlation of one user's requests (analyzer/stats/clustered.ts).
 */
export type GroupSums = Array<[group: number, n: number, sum: number]>;

/**
 * Per unit group, the counts of a sketched metric per coarse bin
 * (`groupBinKey` of contracts/sketch.ts): parallel keys and counts in any
 * order (a repeated key adds). Packed rather than pairs: a step at volume
 * holds about 10^4 of them per arm, and the analyzer only sums them
 * (docs/capacity.md › the analyzer).
 */
export interface GroupBins {
  readonly keys: ArrayLike<number>;
  readonly counts: ArrayLike<number>;
}

/**
 * `GroupBins` of [key, count] entries (a Map's, or pairs).
 *
 * @example packGroupBins(new Map([[512, 3]])) // { keys: [512], counts: [3] }
 */
export function packGroupBins(entries: Iterable<readonly [number, number]>): GroupBins {
  const keys: number[] = [];
  const counts: number[] = [];
  for (const [k, c] of entries) {
    keys.push(k);
    counts.push(c);
  }
  return { keys: Float64Array.from(keys), counts: Float64Array.from(counts) };
}

/** The [key, count] entries of `GroupBins`, in their order. */
export function groupBinEntries(bins: GroupBins): Array<[number, number]> {
  return Array.from({ length: bins.keys.length }, (_, i) => [bins.keys[i]!, bins.counts[i]!]);
}

/**
 * The increment of one event.
 *
 * @example
 * rollupIncrement({ ts: 90_000, segment: null, country: "DE", cohort: null, requestClass: null, metrics: { requests: 1 } });
 * // { minute: 1, slices: [["all", "*"], ["segment", "default"], ["country", "DE"], …], unit: null, triples: [["requests", 1, null]] }
 */
export function rollupIncrement(e: RollupFacts): RollupIncrement {
  return {
    minute: rollupMinute(e.ts),
    slices: rollupDims(e),
    unit: e.unit ?? null,
    triples: metricTriples(e.metrics),
  };
}
