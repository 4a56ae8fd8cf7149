/**
 * Run leases and decision records in D1, and per-route analyzer health in KV.
 *
 * The lease is keyed on the cron's scheduled time: the first invocation for a
 * time inserts the row and runs; any duplicate finds the row and does nothing.
 * Overlapping runs for different times are safe because config writes are
 * compare-and-set.
 */
import { eq } from "drizzle-orm";
import * as z from "zod";
import { analyzerRuns, decisions } from "../../contracts/db/schema";
import { ANALYZER_HEALTH_KEY } from "../../contracts/kv-keys";
import type { Db } from "../../store/config-store";

/** True when this invocation owns the scheduled time. */
export async function acquireLease(db: Db, scheduledTime: number, now: number): Promise<boolean> {
  const rows = await db
    .insert(analyzerRuns)
    .values({ scheduledTime, startedAt: now, status: "running" })
    .onConflictDoNothing()
    .returning({ t: analyzerRuns.scheduledTime });
  return rows.length === 1;
}

export async function finishRun(
  db: Db,
  scheduledTime: number,
  now: number,
  error: string | null,
): Promise<void> {
  await db
    .update(analyzerRuns)
    .set({ finishedAt: now, status: error ? "error" : "ok", error })
    .where(eq(analyzerRuns.scheduledTime, scheduledTime));
}

export type DecisionRow = typeof decisions.$inferInsert;

export async function recordDecision(db: Db, row: DecisionRow): Promise<void> {
  await db.insert(decisions).values(row);
}

const HealthSchema = z.object({
  routes: z.record(
    z.string(),
    z.object({
      consecutiveErrors: z.int().min(0),
      lastError: z.string().nullable(),
      lastErrorAt: z.number().nullable(),
    }),
  ),
});
export type AnalyzerHealth = z.infer<typeof HealthSchema>;

export async function readHealth(kv: KVNamespace): Promise<AnalyzerHealth> {
  const raw = await kv.get(ANALYZER_HEALTH_KEY, "json").catch(() => null);
  const parsed = HealthSchema.safeParse(raw);
  return parsed.success ? parsed.data : { routes: {} };
}

export async function writeHealth(kv: KVNamespace, health: AnalyzerHealth): Promise<void> {
  await kv.put(ANALYZER_HEALTH_KEY, JSON.stringify(health));
}
