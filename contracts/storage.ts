/**
 * What D1 keeps of what the consumer writes, from the Worker's vars
 * (wrangler.toml): the ingest window of the idempotency ledger, the raw
 * `outcomes` rows, the per-minute rollups and the dimensions they keep, and
 * how long a finished step keeps its unit-group detail. Pure.
 * docs/capacity.md sizes them against D1's limits.
 */
import { rolloutStep, type Route } from "./config";
import { ROLLUP_DIMS, type RollupDim } from "./dims";

export const HOUR_MS = 3_600_000;

export interface StorageSettings {
  /**
   * Hours a ledger key is kept, and so the oldest event the consumer still
   * counts. Must exceed the outcome queue's message retention
   * (docs/idempotent-ingest.md › "A bounded ledger").
   */
  ingestWindowHours: number;
  /** Hours raw `outcomes` rows are kept; 0 writes none (the R2 archive keeps the events). */
  rawRowsHours: number;
  /**
   * Days per-minute rollups (`rollup_metrics`, `rollup_bins`: /metrics and the
   * dashboard's series) are kept; per-step aggregates are kept for good.
   */
  minuteRollupsDays: number;
  /**
   * The dimensions that get per-minute rows, in `ROLLUP_DIMS` order; always
   * holds `all`. The per-step aggregates keep every dimension whatever this
   * says: per-slice judgement reads those, the per-minute rows serve /metrics,
   * the dashboard's series (both `all` only) and the admin API's window view.
   */
  minuteRollupDims: readonly RollupDim[];
  /**
   * Hours after its start a step that is no longer judged keeps the bulky
   * per-unit-group columns of its `step_rollups` rows (`groups`,
   * `group_bins`); the cron then compacts them to null. Counts, sums and
   * sketches are kept for good. The step a route is in keeps them however old.
   */
  stepDetailHours: number;
}

const EVERY_DIM: readonly RollupDim[] = ROLLUP_DIMS.map((d) => d.dim);

export const DEFAULT_STORAGE: StorageSettings = {
  ingestWindowHours: 12,
  rawRowsHours: 24,
  minuteRollupsDays: 2,
  minuteRollupDims: EVERY_DIM,
  stepDetailHours: 24,
};

const MAX_HOURS = 14 * 24;
const MAX_DAYS = 3660;
const MAX_DETAIL_HOURS = MAX_DAYS * 24;

function inRange(raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  return Number.isFinite(n) && n >= min && n <= max ? n : Number.NaN;
}

/**
 * A comma-separated list of rollup dimensions, `all` added when missing, in
 * `ROLLUP_DIMS` order; the names that are not dimensions when any are not.
 *
 * @example dimList("country, all") // { dims: ["all", "country"], unknown: [] }
 */
function dimList(raw: string | undefined): { dims: readonly RollupDim[]; unknown: string[] } {
  if (raw === undefined || raw.trim() === "") return { dims: EVERY_DIM, unknown: [] };
  const names = raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const unknown = names.filter((n) => !(EVERY_DIM as readonly string[]).includes(n));
  const wanted = new Set<string>(["all", ...names]);
  return { dims: EVERY_DIM.filter((d) => wanted.has(d)), unknown };
}

/**
 * The storage settings of the Worker's vars; an invalid value is an error
 * with the variable's name and what it allows, and its default is used.
 *
 * @example storageSettings({ INGEST_WINDOW_HOURS: "24", OUTCOME_ROWS_HOURS: "0", MINUTE_ROLLUP_DIMS: "all" })
 * // { ok: true, settings: { ingestWindowHours: 24, rawRowsHours: 0, minuteRollupsDays: 2,
 * //   minuteRollupDims: ["all"], stepDetailHours: 24 } }
 */
export function storageSettings(vars: {
  INGEST_WINDOW_HOURS?: string;
  OUTCOME_ROWS_HOURS?: string;
  MINUTE_ROLLUPS_DAYS?: string;
  MINUTE_ROLLUP_DIMS?: string;
  STEP_DETAIL_HOURS?: string;
}):
  | { ok: true; settings: StorageSettings }
  | { ok: false; error: string; settings: StorageSettings } {
  const parsed = {
    ingestWindowHours: inRange(
      vars.INGEST_WINDOW_HOURS,
      DEFAULT_STORAGE.ingestWindowHours,
      1,
      MAX_HOURS,
    ),
    rawRowsHours: inRange(vars.OUTCOME_ROWS_HOURS, DEFAULT_STORAGE.rawRowsHours, 0, MAX_HOURS),
    // Fractions allowed: at 10,000 requests a second 0.25 (docs/capacity.md).
    minuteRollupsDays: inRange(
      vars.MINUTE_ROLLUPS_DAYS,
      DEFAULT_STORAGE.minuteRollupsDays,
      0.05,
      MAX_DAYS,
    ),
    stepDetailHours: inRange(
      vars.STEP_DETAIL_HOURS,
      DEFAULT_STORAGE.stepDetailHours,
      0,
      MAX_DETAIL_HOURS,
    ),
  };
  const minuteDims = dimList(vars.MINUTE_ROLLUP_DIMS);
  const errors = [
    Number.isNaN(parsed.ingestWindowHours)
      ? `INGEST_WINDOW_HOURS must be 1..${MAX_HOURS} hours`
      : null,
    Number.isNaN(parsed.rawRowsHours) ? `OUTCOME_ROWS_HOURS must be 0..${MAX_HOURS} hours` : null,
    Number.isNaN(parsed.minuteRollupsDays)
      ? `MINUTE_ROLLUPS_DAYS must be 0.05..${MAX_DAYS} days`
      : null,
    Number.isNaN(parsed.stepDetailHours)
      ? `STEP_DETAIL_HOURS must be 0..${MAX_DETAIL_HOURS} hours`
      : null,
    minuteDims.unknown.length > 0
      ? `MINUTE_ROLLUP_DIMS must be a comma-separated list of ${EVERY_DIM.join(", ")} (${minuteDims.unknown.map((n) => JSON.stringify(n)).join(", ")} is not a dimension)`
      : null,
  ].filter((e): e is string => e !== null);
  const settings: StorageSettings = {
    ingestWindowHours: Number.isNaN(parsed.ingestWindowHours)
      ? DEFAULT_STORAGE.ingestWindowHours
      : parsed.ingestWindowHours,
    rawRowsHours: Number.isNaN(parsed.rawRowsHours)
      ? DEFAULT_STORAGE.rawRowsHours
      : parsed.rawRowsHours,
    minuteRollupsDays: Number.isNaN(parsed.minuteRollupsDays)
      ? DEFAULT_STORAGE.minuteRollupsDays
      : parsed.minuteRollupsDays,
    minuteRollupDims:
      minuteDims.unknown.length > 0 ? DEFAULT_STORAGE.minuteRollupDims : minuteDims.dims,
    stepDetailHours: Number.isNaN(parsed.stepDetailHours)
      ? DEFAULT_STORAGE.stepDetailHours
      : parsed.stepDetailHours,
  };
  return errors.length === 0
    ? { ok: true, settings }
    : { ok: false, error: `${errors.join("; ")}; using the defaults for them`, settings };
}

/**
 * The earliest `ts` the consumer still ingests at `now`: an older event may
 * have been pruned from the ledger already, so counting it could count it
 * twice. Such an event is refused as late (archived, dead-lettered, never
 * counted). The window must exceed the queue's message retention, so that
 * only a misconfigured queue can deliver one.
 */
export function ingestCutoff(now: number, windowHours: number): number {
  return now - windowHours * HOUR_MS;
}

/**
 * The first ledger hour the cron keeps at `now`: everything before it is
 * deleted. One hour of margin below the consumer's cutoff, for clocks that
 * disagree, so no key a possible redelivery needs is ever deleted.
 *
 * @example ledgerKeepFromHour(Date.UTC(2026, 0, 2), 24) // the hour of 2025-12-31T23:00Z
 */
export function ledgerKeepFromHour(now: number, windowHours: number): number {
  return Math.floor(ingestCutoff(now, windowHours) / HOUR_MS) - 1;
}

/** One step's rows in `step_rollups`: route, rollout (its canary release id) and step start. */
export interface StepKey {
  routeId: string;
  rolloutId: string;
  /** The step's start, epoch ms (`rolloutStep`). */
  step: number;
}

/** The steps whose unit-group detail the cron may drop: started before `before`, not in `keep`. */
export interface StepDetailPlan {
  before: number;
  keep: StepKey[];
}

/**
 * What the cron may compact at `now`: every step that started more than
 * `detailHours` ago, except the step each route is in under any of `configs`
 * (the newest config version, which the analyzer judges by, and the KV
 * document the edge routes by, which a direct edit may have moved on). Such a
 * step is the one the analyzer reads (`rolloutStep` of a route with a
 * canary), however old; every other step, an earlier one of the rollout or
 * one of a rollout the route has left, is no longer judged.
 *
 * @example
 * stepDetailPlan([config.routes], Date.UTC(2026, 0, 3), 24);
 * // { before: Date.UTC(2026, 0, 2), keep: [{ routeId: "chat", rolloutId: "canary-v2", step: … }] }
 */
export function stepDetailPlan(
  configs: ReadonlyArray<ReadonlyArray<Pick<Route, "id" | "canary" | "rollout">>>,
  now: number,
  detailHours: number,
): StepDetailPlan {
  const keep = new Map<string, StepKey>();
  for (const routes of configs)
    for (const route of routes) {
      const step = rolloutStep(route);
      if (!route.canary || step === 0) continue;
      const key = { routeId: route.id, rolloutId: route.canary.id, step };
      keep.set(JSON.stringify([key.routeId, key.rolloutId, key.step]), key);
    }
  return { before: now - detailHours * HOUR_MS, keep: [...keep.values()] };
}
