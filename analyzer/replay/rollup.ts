/**
 * In-memory per-minute rollup of outcome events, with the same keys and
 * semantics as the D1 rollup tables: per minute, variant, slice (dim, value)
 * and metric, the sums n / sum / sumSq, plus sketch bins for sketched metrics.
 * `window(from, to)` sums whole minutes in [from, to) into `WindowData`.
 *
 * What one event adds (its minute, its slices of `contracts/dims.ts`, its
 * samples and bins) is `contracts/rollup.ts`, the definition the D1 ingest
 * uses; `test/integration/rollup-parity.test.ts` holds the two to the same
 * windows and decisions.
 */
import type { QualityRecord } from "../../contracts/export";
import type { OutcomeEvent, Variant } from "../../contracts/outcome";
import { MINUTE_MS, rollupMinute } from "../../contracts/minute";
import { rollupDims } from "../../contracts/dims";
import {
  addSample,
  addSums,
  metricBin,
  packGroupBins,
  type GroupSums,
  type MetricSums,
} from "../../contracts/rollup";
import { UNIT_GROUPS, unitGroup } from "../../contracts/assignment";
import { coarseBin, groupBinKey } from "../../contracts/sketch";
import { DenseBins } from "./dense-bins";
import type { ArmData, SliceDim, WindowData } from "../window";

/** The fields of an outcome event the rollup reads. */
export type RollupEvent = Pick<
  OutcomeEvent,
  "ts" | "variant" | "segment" | "country" | "cohort" | "requestClass" | "metrics"
> &
  Partial<Pick<OutcomeEvent, "unit" | "requestId">>;

/**
 * The unit group an event counts in, as the ingest decides it
 * (worker/ingest/rows.ts, worker/eval/rows.ts): its `unit`, else the group of
 * its request id, else none (its metric then keeps no groups).
 */
export function eventUnit(e: RollupEvent): number | null {
  return e.unit ?? (e.requestId !== undefined ? unitGroup(e.requestId) : null);
}

export { MINUTE_MS };

/**
 * A quality record of an export (an evaluation score or a feedback) as the
 * rollup event it adds: its request's minute, slice facts and unit group, one metric.
 * The evaluation consumer and the feedback route add the same sums to the
 * same rows (worker/eval/rollup.ts); quality metrics keep no sketch.
 *
 * @example
 * rollup.add(qualityEvent(record)); // record.metric: record.value at record.minute
 */
export function qualityEvent(r: QualityRecord): RollupEvent {
  return {
    ts: r.minute * MINUTE_MS,
    variant: r.variant,
    segment: r.segment,
    country: r.country,
    cohort: r.cohort,
    requestClass: r.requestClass,
    metrics: { [r.metric]: r.value },
    // A row stored before the unit column has none; D1 keeps no groups for it either.
    ...(r.unit === undefined ? {} : { unit: r.unit }),
  };
}

/** Start of the minute containing `ts`. */
export const floorMinute = (ts: number) => rollupMinute(ts) * MINUTE_MS;
/** `ts` rounded up to a minute boundary. */
export const ceilMinute = (ts: number) => Math.ceil(ts / MINUTE_MS) * MINUTE_MS;

/**
 * One event's metrics as parallel arrays with sketch bins computed once for
 * all of its slices; reused from event to event to spare the allocations.
 */
export class PreparedMetrics {
  readonly names: string[] = [];
  readonly values: number[] = [];
  readonly bins: Array<number | null> = [];
  length = 0;
  /** The event's unit group (null: none known). */
  unit: number | null = null;

  fill(metrics: Record<string, number>, unit: number | null = null): this {
    this.unit = unit;
    this.length = 0;
    for (const name in metrics) {
      const value = metrics[name];
      if (value === undefined) continue;
      this.names[this.length] = name;
      this.values[this.length] = value;
      this.bins[this.length] = metricBin(name, value);
      this.length += 1;
    }
    return this;
  }
}

/** Mutable accumulator for one arm of one slice. */
export class ArmAccumulator {
  readonly sums = new Map<string, MetricSums>();
  readonly bins = new Map<string, DenseBins>();
  /** Per metric, [n, sum] of each unit group, interleaved (2 × UNIT_GROUPS). */
  readonly groups = new Map<string, Float64Array>();
  /** Per sketched metric, `groupBinKey(group, coarse bin)` → count. */
  readonly groupBins = new Map<string, Map<number, number>>();
  /** Metrics with a sample that had no unit: their groups are incomplete. */
  readonly ungrouped = new Set<string>();

  add(metrics: Record<string, number>): void {
    this.addPrepared(new PreparedMetrics().fill(metrics));
  }

  /** Adds one event's metrics, prepared once for all its slices. */
  addPrepared(p: PreparedMetrics): void {
    for (let i = 0; i < p.length; i++) {
      const name = p.names[i] as string;
      const value = p.values[i] as number;
      let s = this.sums.get(name);
      if (!s) {
        s = { n: 0, sum: 0, sumSq: 0 };
        this.sums.set(name, s);
      }
      addSample(s, value);
      const bin = p.bins[i];
      if (bin !== undefined && bin !== null) this.addBin(name, bin, 1);
      if (p.unit === null) this.ungrouped.add(name);
      else {
        const g = this.groupsOf(name);
        const at = 2 * p.unit;
        g[at] = g[at]! + 1;
        g[at + 1] = g[at + 1]! + value;
        if (bin !== undefined && bin !== null) {
          const gb = this.groupBinsOf(name);
          const key = groupBinKey(p.unit, coarseBin(bin));
          gb.set(key, (gb.get(key) ?? 0) + 1);
        }
      }
    }
  }

  private groupBinsOf(metric: string): Map<number, number> {
    let b = this.groupBins.get(metric);
    if (!b) {
      b = new Map();
      this.groupBins.set(metric, b);
    }
    return b;
  }

  private groupsOf(metric: string): Float64Array {
    let g = this.groups.get(metric);
    if (!g) {
      g = new Float64Array(2 * UNIT_GROUPS);
      this.groups.set(metric, g);
    }
    return g;
  }

  addBin(metric: string, bin: number, count: number): void {
    let b = this.bins.get(metric);
    if (!b) {
      b = new DenseBins();
      this.bins.set(metric, b);
    }
    b.add(bin, count);
  }

  merge(other: ArmAccumulator): void {
    for (const [name, o] of other.sums) {
      const s = this.sums.get(name);
      if (s) addSums(s, o);
      else this.sums.set(name, { ...o });
    }
    for (const [name, bins] of other.bins) {
      let b = this.bins.get(name);
      if (!b) {
        b = new DenseBins();
        this.bins.set(name, b);
      }
      b.merge(bins);
    }
    for (const [name, o] of other.groups) {
      const g = this.groupsOf(name);
      for (let i = 0; i < o.length; i++) g[i] = g[i]! + o[i]!;
    }
    for (const [name, o] of other.groupBins) {
      const b = this.groupBinsOf(name);
      for (const [key, count] of o) b.set(key, (b.get(key) ?? 0) + count);
    }
    for (const name of other.ungrouped) this.ungrouped.add(name);
  }

  toArmData(): ArmData {
    const arm: ArmData = { metrics: {}, sketches: {} };
    for (const [name, s] of this.sums) arm.metrics[name] = { ...s };
    for (const [name, bins] of this.bins) arm.sketches[name] = bins.entries();
    for (const [name, g] of this.groups) {
      if (this.ungrouped.has(name)) continue;
      const out: GroupSums = [];
      for (let i = 0; i < UNIT_GROUPS; i++)
        if (g[2 * i]! > 0) out.push([i, g[2 * i]!, g[2 * i + 1]!]);
      (arm.groups ??= {})[name] = out;
    }
    for (const [name, b] of this.groupBins) {
      if (!this.ungrouped.has(name)) (arm.groupBins ??= {})[name] = packGroupBins(b);
    }
    return arm;
  }
}

/** Both arms of one slice. */
export class SliceAccumulator {
  readonly stable = new ArmAccumulator();
  readonly canary = new ArmAccumulator();
  constructor(
    readonly dim: SliceDim,
    readonly value: string,
  ) {}
}

/** All slices of one minute (or of a merged window), keyed `dim\u0000value`. */
export class SliceSet {
  readonly slices = new Map<string, SliceAccumulator>();

  get(dim: SliceDim, value: string): SliceAccumulator {
    const key = `${dim}\u0000${value}`;
    let s = this.slices.get(key);
    if (!s) {
      s = new SliceAccumulator(dim, value);
      this.slices.set(key, s);
    }
    return s;
  }

  merge(other: SliceSet): void {
    for (const o of other.slices.values()) {
      const s = this.get(o.dim, o.value);
      s.stable.merge(o.stable);
      s.canary.merge(o.canary);
    }
  }

  toWindow(from: number, to: number): WindowData {
    const slices = [...this.slices.values()].map((s) => ({
      dim: s.dim,
      value: s.value,
      stable: s.stable.toArmData(),
      canary: s.canary.toArmData(),
    }));
    return { from, to, slices };
  }
}

/** The fields that decide an event's slices. */
export type SliceKey = Pick<RollupEvent, "segment" | "country" | "cohort" | "requestClass">;

/** The (dim, value) slices an event belongs to: the labels the D1 ingest uses. */
export function eventSlices(e: SliceKey): Array<[SliceDim, string]> {
  return rollupDims(e);
}

type ByKey = Map<string | null, Map<string | null, Map<string, SliceAccumulator[]>>>;

interface MinuteBucket {
  set: SliceSet;
  /** segment → country → cohort and class → the event's slices. */
  byKey: ByKey;
}

/** Per-minute rollups of a stream of events for one route and rollout. */
export class MinuteRollup {
  private readonly minutes = new Map<number, MinuteBucket>();
  private readonly scratch = new PreparedMetrics();
  /** Earliest minute changed since the last `takeDirty()` (Infinity when none). */
  private dirty = Number.POSITIVE_INFINITY;

  add(e: RollupEvent): void {
    const prepared = this.scratch.fill(e.metrics, eventUnit(e));
    for (const slice of this.slicesOf(floorMinute(e.ts), e)) {
      (e.variant === "canary" ? slice.canary : slice.stable).addPrepared(prepared);
    }
  }

  /**
   * Adds an arm already summed over many events of one minute that share
   * their slice fields (what the simulator produces): the same result as
   * adding each event, for a fraction of the work.
   */
  addAggregate(minute: number, key: SliceKey, variant: Variant, arm: ArmAccumulator): void {
    for (const slice of this.slicesOf(floorMinute(minute), key)) {
      (variant === "canary" ? slice.canary : slice.stable).merge(arm);
    }
  }

  private slicesOf(minute: number, key: SliceKey): SliceAccumulator[] {
    let bucket = this.minutes.get(minute);
    if (!bucket) {
      bucket = { set: new SliceSet(), byKey: new Map() };
      this.minutes.set(minute, bucket);
    }
    if (minute < this.dirty) this.dirty = minute;
    // Events share few (segment, country, cohort, class) combinations: resolve
    // their slices once per combination instead of once per event.
    let byCountry = bucket.byKey.get(key.segment);
    if (!byCountry) {
      byCountry = new Map();
      bucket.byKey.set(key.segment, byCountry);
    }
    let byRest = byCountry.get(key.country);
    if (!byRest) {
      byRest = new Map();
      byCountry.set(key.country, byRest);
    }
    const rest =
      key.cohort === null && key.requestClass === null
        ? ""
        : `${key.cohort}\u0000${key.requestClass}`;
    let slices = byRest.get(rest);
    if (!slices) {
      const set = bucket.set;
      slices = eventSlices(key).map(([dim, value]) => set.get(dim, value));
      byRest.set(rest, slices);
    }
    return slices;
  }

  /**
   * Earliest minute changed since the previous call, for one incremental
   * reader (see `WindowCache`) to notice late events.
   */
  takeDirty(): number {
    const d = this.dirty;
    this.dirty = Number.POSITIVE_INFINITY;
    return d;
  }

  /** The minutes with data in [from, to), ascending. */
  minutesIn(from: number, to: number): number[] {
    return [...this.minutes.keys()].filter((m) => m >= from && m < to).sort((a, b) => a - b);
  }

  minute(m: number): SliceSet | undefined {
    return this.minutes.get(m)?.set;
  }

  /** Sums of every minute starting in [from, to). */
  window(from: number, to: number): WindowData {
    const merged = new SliceSet();
    for (const m of this.minutesIn(from, to)) {
      const set = this.minute(m);
      if (set) merged.merge(set);
    }
    return merged.toWindow(from, to);
  }
}
