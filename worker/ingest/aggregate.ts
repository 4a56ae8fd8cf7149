/**
 * The rollup increments of a set of outcome rows, aggregated in the consumer
 * instead of in SQL: per-minute sums (every dimension), per-minute sketch bins
 * (the `all` dimension: time series and /metrics), and per-step aggregates
 * (every dimension, sums plus the whole sketch: what the analyzer judges). Pure. The store writes them in the
 * transaction that inserts exactly these rows, so they count each request once
 * (docs/idempotent-ingest.md).
 *
 * A queue batch's events are close in time, so a batch of 100 collapses to a
 * few hundred increments; SQL then only upserts those, instead of expanding
 * every (row, dimension, metric) observation itself.
 */
import { rollupDims } from "../../contracts/dims";
import type { rollupBins, rollupMetrics, stepRollups } from "../../contracts/db/schema";
import type { MetricTriple, OutcomeRow } from "./rows";

export type MinuteSumRow = typeof rollupMetrics.$inferInsert;
export type MinuteBinRow = typeof rollupBins.$inferInsert;
/** A `step_rollups` increment; `bins` is the sketch as `{"<bin>": count}` JSON, or null. */
export type StepRow = typeof stepRollups.$inferInsert;

export interface Increments {
  minuteSums: MinuteSumRow[];
  minuteBins: MinuteBinRow[];
  steps: StepRow[];
}

/**
 * Map keys: JSON-encoded parts joined by U+0001, which JSON text never holds
 * raw (it escapes control characters), so any id or dim value splits back.
 */
const SEP = "\u0001";

interface Acc {
  n: number;
  sum: number;
  sumSq: number;
}

function add(map: Map<string, Acc>, key: string, v: number): void {
  const a = map.get(key);
  if (a) {
    a.n += 1;
    a.sum += v;
    a.sumSq += v * v;
  } else map.set(key, { n: 1, sum: v, sumSq: v * v });
}

function count<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/**
 * Aggregates rows (each counted once; the caller passes distinct request ids)
 * under every rollup dimension. Step aggregates are kept only for rows routed
 * during a rollout step (`step > 0`), the only ones the analyzer reads.
 *
 * @example
 * const inc = rollupIncrements(rows);
 * inc.minuteSums.find((r) => r.dim === "all" && r.metric === "requests")?.n; // rows.length
 */
export function rollupIncrements(rows: readonly OutcomeRow[]): Increments {
  const minuteSums = new Map<string, Acc>();
  const minuteBins = new Map<string, number>();
  const stepSums = new Map<string, Acc>();
  const stepBins = new Map<string, Map<number, number>>();
  for (const row of rows) {
    const triples = JSON.parse(row.metrics) as MetricTriple[];
    const minuteHead = JSON.stringify([
      row.minute,
      row.routeId,
      row.rolloutId,
      row.releaseId,
      row.variant,
    ]);
    const stepHead =
      row.step > 0 && row.rolloutId !== ""
        ? JSON.stringify([row.routeId, row.rolloutId, row.step, row.variant, row.releaseId])
        : null;
    for (const dimValue of rollupDims(row)) {
      const slice = SEP + JSON.stringify(dimValue) + SEP;
      for (const [metric, v, bin] of triples) {
        const mk = minuteHead + slice + metric;
        add(minuteSums, mk, v);
        if (bin !== null && dimValue[0] === "all") count(minuteBins, mk + SEP + bin);
        if (stepHead === null) continue;
        const sk = stepHead + slice + metric;
        add(stepSums, sk, v);
        if (bin !== null) {
          let bins = stepBins.get(sk);
          if (!bins) stepBins.set(sk, (bins = new Map()));
          count(bins, bin);
        }
      }
    }
  }
  return {
    minuteSums: [...minuteSums].map(([k, a]) => ({ ...minuteKey(k), ...a })),
    minuteBins: [...minuteBins].map(([k, c]) => {
      const cut = k.lastIndexOf(SEP);
      return { ...minuteKey(k.slice(0, cut)), bin: Number(k.slice(cut + 1)), count: c };
    }),
    steps: [...stepSums].map(([k, a]) => {
      const bins = stepBins.get(k);
      return { ...stepKey(k), ...a, bins: bins ? JSON.stringify(Object.fromEntries(bins)) : null };
    }),
  };
}

type Parts = [head: unknown[], slice: [string, string], metric: string];

function parts(k: string): Parts {
  const [head, slice, metric] = k.split(SEP);
  return [JSON.parse(head!) as unknown[], JSON.parse(slice!) as [string, string], metric!];
}

function minuteKey(k: string) {
  const [[minute, routeId, rolloutId, releaseId, variant], [dim, dimValue], metric] = parts(k) as [
    [number, string, string, string, string],
    [string, string],
    string,
  ];
  return {
    minute,
    routeId,
    rolloutId,
    releaseId,
    variant: variant as MinuteSumRow["variant"],
    dim,
    dimValue,
    metric,
  };
}

function stepKey(k: string) {
  const [[routeId, rolloutId, step, variant, releaseId], [dim, dimValue], metric] = parts(k) as [
    [string, string, number, string, string],
    [string, string],
    string,
  ];
  return {
    routeId,
    rolloutId,
    step,
    variant: variant as StepRow["variant"],
    releaseId,
    dim,
    dimValue,
    metric,
  };
}
