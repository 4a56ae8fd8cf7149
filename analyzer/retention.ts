/**
 * Retention, run by the cron. Sampled prompts and answers: `eval_samples`
 * rows older than `settings.sampleRetentionDays` (default 7), and budget
 * counters older than a day; scores and feedback hold no text and are kept.
 * Storage (`purgeStorage`): ledger keys past the ingest window, raw
 * `outcomes` rows and per-minute rollups past theirs (contracts/storage.ts);
 * per-step aggregates are kept. The retention period comes from the routing config in KV; when it
 * cannot be read, the default applies, so samples never outlive it for long.
 */
import { eq, lt, sql } from "drizzle-orm";
import { parseRoutingConfig, SettingsSchema } from "../contracts/config";
import {
  evalBudget,
  evalSamples,
  ingestKeys,
  outcomes,
  rollupBins,
  rollupMetrics,
} from "../contracts/db/schema";
import { HOUR_MS, ledgerKeepFromHour, type StorageSettings } from "../contracts/storage";
import { ROUTING_CONFIG_KEY } from "../contracts/kv-keys";
import type { Db } from "../store/config-store";
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

async function retentionDays(kv: KVNamespace): Promise<number> {
  const raw = await kv.get(ROUTING_CONFIG_KEY).catch(() => null);
  const parsed = raw === null ? null : parseRoutingConfig(raw);
  return parsed?.ok ? parsed.config.settings.sampleRetentionDays : DEFAULT_DAYS;
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
}

/** Ledger hours deleted per run at most: one hour of keys is up to a few million rows. */
const LEDGER_HOURS_PER_RUN = 2;

/**
 * Bounds D1 (docs/capacity.md): deletes ledger keys older than the ingest
 * window, oldest hour first (the hour leads the primary key, so each delete
 * is a range), and, when `full` (the cron passes it once an hour: these
 * deletes scan by time), raw rows and per-minute rollups past their
 * retention. A key is deleted only an hour after the consumer stops
 * accepting its events (`ledgerKeepFromHour`), so no key a possible
 * redelivery needs is ever gone.
 */
export async function purgeStorage(
  db: Db,
  storage: StorageSettings,
  now: number,
  full: boolean,
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
  if (!full) return { keys, keptFromHour, rows: null, minuteRows: null };
  const rows = await db
    .delete(outcomes)
    .where(lt(outcomes.ts, now - storage.rawRowsHours * HOUR_MS));
  const firstMinute = rollupMinute(now - storage.minuteRollupsDays * DAY_MS);
  const sums = await db.delete(rollupMetrics).where(lt(rollupMetrics.minute, firstMinute));
  const bins = await db.delete(rollupBins).where(lt(rollupBins.minute, firstMinute));
  return {
    keys,
    keptFromHour,
    rows: rows.meta.changes ?? 0,
    minuteRows: (sums.meta.changes ?? 0) + (bins.meta.changes ?? 0),
  };
}
