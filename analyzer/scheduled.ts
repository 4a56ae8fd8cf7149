/**
 * Cron entry of the analyzer (every minute by default; `[triggers]` in
 * wrangler.toml). Thin: builds the dependencies and runs `runAnalyzer`, then
 * deletes expired evaluation samples and bounds storage (`retention.ts`),
 * after the analyzer so that a step it has just left counts as left.
 * `ANALYZER_POLICY` (JSON) sets global policy defaults; routes override them.
 */
import { drizzle } from "drizzle-orm/d1";
import { runAnalyzer, type RunReport } from "./run/run";
import { mlflowSettings, mlflowSink } from "./run/mlflow";
import { webhookNotifier } from "./run/notify";
import { purgeExpiredSamples, purgeStorage } from "./retention";
import { storageSettings } from "../contracts/storage";
import type { PolicyInput } from "./policy/policy";

function globalPolicy(raw: string | undefined): PolicyInput | undefined {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as PolicyInput;
  } catch {
    console.error(JSON.stringify({ msg: "ANALYZER_POLICY is not JSON; using defaults" }));
    return undefined;
  }
}

/** One analyzer run for a scheduled time; returns what it did. */
export async function analyzeAt(env: Env, scheduledTime: number): Promise<RunReport> {
  const mlflow = mlflowSettings(env);
  const report = await runAnalyzer({
    db: drizzle(env.DB),
    kv: env.CONFIG,
    scheduledTime,
    now: () => Date.now(),
    policy: globalPolicy(env.ANALYZER_POLICY),
    notify: webhookNotifier(env.NOTIFY_WEBHOOK_URL),
    exportDecision: mlflow ? mlflowSink(mlflow, env.CONFIG) : undefined,
  });
  console.log(JSON.stringify({ msg: "analyzer run", scheduledTime, ...report }));
  return report;
}

export async function handleScheduled(
  controller: ScheduledController,
  env: Env,
  _ctx: ExecutionContext,
): Promise<void> {
  await analyzeAt(env, controller.scheduledTime);
  try {
    const purged = await purgeExpiredSamples(drizzle(env.DB), env.CONFIG, controller.scheduledTime);
    if (purged.deleted > 0)
      console.log(JSON.stringify({ msg: "expired samples deleted", ...purged }));
  } catch (e) {
    console.error(JSON.stringify({ msg: "sample retention failed", error: String(e) }));
  }
  try {
    const storage = storageSettings(env);
    if (!storage.ok)
      console.error(JSON.stringify({ msg: "invalid storage vars", error: storage.error }));
    // The time-scanning deletes once an hour; the ledger's range deletes every run.
    const full = Math.floor(controller.scheduledTime / 60_000) % 60 === 0;
    const purged = await purgeStorage(
      drizzle(env.DB),
      storage.settings,
      controller.scheduledTime,
      full,
      env.CONFIG,
    );
    if (
      purged.keys > 0 ||
      (purged.rows ?? 0) > 0 ||
      (purged.minuteRows ?? 0) > 0 ||
      (purged.compactedRows ?? 0) > 0
    )
      console.log(JSON.stringify({ msg: "storage retention", ...purged }));
  } catch (e) {
    console.error(JSON.stringify({ msg: "storage retention failed", error: String(e) }));
  }
}
