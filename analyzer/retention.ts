/**
 * Retention, run by the cron. Sampled prompts and answers: `eval_samples`
 * rows older than `settings.sampleRetentionDays` (default 7), and budget
 * counters older than a day; scores and feedback hold no text and are kept.
 * Storage (`purgeStorage`): ledger keys past the ingest window, raw
 * `outcomes` rows and per-minute rollups past theirs (contracts/storage.ts).
 * Per-step aggregates are kept, but compacted: once a step is no longer
 * judged and older than `STEP_DETAIL_HOURS`, its rows lose their unit-group
 * columns (`compactStepDetail`). The retention period comes from the routing
 * config in KV; when it cannot be read, the default applies, so samples never
 * outlive it for long.
 */
import { and, eq, isNotNull, lt, or, sql } from "drizzle-orm";
import { parseRoutingConfig, SettingsSchema, type Route } from "../contracts/config";
import {
  evalBudget,
  evalSamples,
  ingestKeys,
  outcomes,
  rollupBins,
  rollupMetrics,
  stepRollups,
} from "../contracts/db/schema";
import {
  HOUR_MS,
  ledgerKeepFromHour,
  stepDetailPlan,
  type StepDetailPlan,
  type StepKey,
  type StorageSettings,
} from "../contracts/storage";
import { ROUTING_CONFIG_KEY } from "../contracts/kv-keys";
import { latestVersion, type Db } from "../store/config-store";
import { rollupMinute } from "../contracts/minute";

const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_DAYS = SettingsSchema.parse({}).sampleRetentionDays;

/**
 * The creation time before which samples are deleted.
 *
 * @example
 * sampleCutoff(Date.UTC(2026, 0, 8), 7); // Date.UTC(2026, 0, 1)
 */
export function sampleCutoff(now: number, retentionDays: number): number {
  return now - retentionDays * DAY_MS;
}

/** The routing config in KV, or null when it is missing, unreadable or invalid. */
async function kvConfig(kv: KVNamespace) {
  const raw = await kv.get(ROUTING_CONFIG_KEY).catch(() => null);
  const parsed = raw === null ? null : parseRoutingConfig(raw);
  return parsed?.ok ? parsed.config : null;
}

async function retentionDays(kv: KVNamespace): Promise<number> {
  return (await kvConfig(kv))?.settings.sampleRetentionDays ?? DEFAULT_DAYS;
}

/** Deletes expired samples and old budget counters; returns the samples deleted. */
export async function purgeExpiredSamples(
  db: Db,
  kv: KVNamespace,
  now: number,
): Promise<{ deleted: number; retentionDays: number }> {
  const days = await retentionDays(kv);
  const result = await db
    .delete(evalSamples)
    .where(lt(evalSamples.createdAt, sampleCutoff(now, days)));
  await db.delete(evalBudget).where(lt(evalBudget.minute, rollupMinute(now - DAY_MS)));
  return { deleted: result.meta.changes ?? 0, retentionDays: days };
}

/** What one storage purge deleted. */
export interface StoragePurge {
  /** Ledger keys of hours before `keptFromHour`. */
  keys: number;
  keptFromHour: number;
  /** Raw `outcomes` rows older than the raw-row retention (null: not run this time). */
  rows: number | null;
  /** Per-minute rollup rows (sums and bins) older than their retention (null: not run). */
  minuteRows: number | null;
  /**
   * `step_rollups` rows whose unit-group columns were compacted (null: not
   * run, or no config to tell which steps are current).
   */
  compactedRows: number | null;
}

/** Ledger hours deleted per run at most: one hour of keys is up to a few million rows. */
const LEDGER_HOURS_PER_RUN = 2;

/**
 * Bounds D1 (docs/capacity.md): deletes ledger keys older than the ingest
 * window, oldest hour first (the hour leads the primary key, so each delete
 * is a range), and, when `full` (the cron passes it once an hour: these
 * deletes scan by time), raw rows and per-minute rollups past their
 * retention, then compacts the steps no longer judged (`compactStepDetail`).
 * A key is deleted only an hour after the consumer stops accepting its events
 * (`ledgerKeepFromHour`), so no key a possible redelivery needs is ever gone.
 * Which steps are current comes from the newest config version and from
 * `kv`'s routing config; without either, nothing is compacted.
 */
export async function purgeStorage(
  db: Db,
  storage: StorageSettings,
  now: number,
  full: boolean,
  kv?: KVNamespace,
): Promise<StoragePurge> {
  const keptFromHour = ledgerKeepFromHour(now, storage.ingestWindowHours);
  let keys = 0;
  for (let i = 0; i < LEDGER_HOURS_PER_RUN; i++) {
    const oldest = await db
      .select({ hour: sql<number | null>`min(${ingestKeys.hour})` })
      .from(ingestKeys);
    const hour = oldest[0]?.hour ?? null;
    if (hour === null || hour >= keptFromHour) break;
    const r = await db.delete(ingestKeys).where(eq(ingestKeys.hour, hour));
    keys += r.meta.changes ?? 0;
  }
  if (!full) return { keys, keptFromHour, rows: null, minuteRows: null, compactedRows: null };
  const rows = await db
    .delete(outcomes)
    .where(lt(outcomes.ts, now - storage.rawRowsHours * HOUR_MS));
  const firstMinute = rollupMinute(now - storage.minuteRollupsDays * DAY_MS);
  const sums = await db.delete(rollupMetrics).where(lt(rollupMetrics.minute, firstMinute));
  const bins = await db.delete(rollupBins).where(lt(rollupBins.minute, firstMinute));
  const configs = await currentRoutes(db, kv);
  const compacted =
    configs.length === 0
      ? null
      : await compactStepDetail(db, stepDetailPlan(configs, now, storage.stepDetailHours));
  return {
    keys,
    keptFromHour,
    rows: rows.meta.changes ?? 0,
    minuteRows: (sums.meta.changes ?? 0) + (bins.meta.changes ?? 0),
    compactedRows: compacted,
  };
}

/** The routes of the newest config version and of KV's document, those that could be read. */
async function currentRoutes(db: Db, kv: KVNamespace | undefined): Promise<Route[][]> {
  const head = await latestVersion(db);
  const edge = kv ? await kvConfig(kv) : null;
  return [head?.doc.routes, edge?.routes].filter((r): r is Route[] => r !== undefined);
}

/** Steps compacted per run at most, and rows per statement: each a range of one step's rows. */
const COMPACT_STEPS_PER_RUN = 8;
const COMPACT_ROWS_PER_STATEMENT = 2_000;
const COMPACT_STATEMENTS_PER_RUN = 24;

const hasDetail = () => or(isNotNull(stepRollups.groups), isNotNull(stepRollups.groupBins));

const sameStep = (k: StepKey) =>
  and(
    eq(stepRollups.routeId, k.routeId),
    eq(stepRollups.rolloutId, k.rolloutId),
    eq(stepRollups.step, k.step),
  );

/**
 * Sets `groups` and `group_bins` to null in the `step_rollups` rows of the
 * steps `plan` allows, oldest first, at most COMPACT_STEPS_PER_RUN steps and
 * COMPACT_STATEMENTS_PER_RUN statements of COMPACT_ROWS_PER_STATEMENT rows
 * (the next run goes on). `n`, `sum`, `sum_sq` and the sketch `bins` stay: a
 * compacted step keeps its counts, means, rates and quantiles, and loses only
 * what the cluster-robust variances of its judgement needed. A late increment
 * merged into a compacted row leaves the columns null (the store's merge
 * keeps a null side null). Returns the rows compacted.
 *
 * Each row also moves to a new rowid past the table's largest: SQLite
 * shrinks a row in place and never merges the pages an update leaves nearly
 * empty, so nulling alone left 8.45 of a step's 10.0 MB of pages (only its
 * overflow pages were freed), measured; a moved row is deleted from its page,
 * which merges underfull pages and frees them for later writes, and the
 * compacted rows are packed together at the end: 1.79 MB (docs/capacity.md).
 *
 * @example
 * await compactStepDetail(db, stepDetailPlan([config.routes], now, 24));
 */
export async function compactStepDetail(db: Db, plan: StepDetailPlan): Promise<number> {
  const keep = new Set(plan.keep.map((k) => JSON.stringify([k.routeId, k.rolloutId, k.step])));
  // One scan finds candidates; the kept steps may be among them.
  const found = await db
    .selectDistinct({
      routeId: stepRollups.routeId,
      rolloutId: stepRollups.rolloutId,
      step: stepRollups.step,
    })
    .from(stepRollups)
    .where(and(lt(stepRollups.step, plan.before), hasDetail()))
    .orderBy(stepRollups.step)
    .limit(COMPACT_STEPS_PER_RUN + keep.size);
  const steps = found
    .filter((k) => !keep.has(JSON.stringify([k.routeId, k.rolloutId, k.step])))
    .slice(0, COMPACT_STEPS_PER_RUN);
  let rows = 0;
  let statements = 0;
  for (const k of steps) {
    for (;;) {
      if (statements >= COMPACT_STATEMENTS_PER_RUN) return rows;
      statements += 1;
      const t = stepRollups;
      // UPDATE ... FROM computes every new rowid before it moves a row.
      const r = await db.run(sql`UPDATE ${t}
        SET ${sql.identifier(t.groups.name)} = NULL, ${sql.identifier(t.groupBins.name)} = NULL,
          rowid = m.top + c.rn
        FROM (
          SELECT rowid AS rid, row_number() OVER (ORDER BY rowid) AS rn FROM ${t}
          WHERE ${and(sameStep(k), hasDetail())} ORDER BY rowid LIMIT ${COMPACT_ROWS_PER_STATEMENT}
        ) AS c, (SELECT max(rowid) AS top FROM ${t}) AS m
        WHERE ${t}.rowid = c.rid`);
      const changed = r.meta.changes ?? 0;
      rows += changed;
      if (changed < COMPACT_ROWS_PER_STATEMENT) break;
    }
  }
  return rows;
}
