/**
 * Retention of sampled prompts and answers: the cron deletes `eval_samples`
 * rows older than `settings.sampleRetentionDays` (default 7), and budget
 * counters older than a day. Scores, rollups and feedback hold no text and
 * are kept. The retention period comes from the routing config in KV; when it
 * cannot be read, the default applies, so samples never outlive it for long.
 */
import { lt } from "drizzle-orm";
import { parseRoutingConfig, SettingsSchema } from "../contracts/config";
import { evalBudget, evalSamples } from "../contracts/db/schema";
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
