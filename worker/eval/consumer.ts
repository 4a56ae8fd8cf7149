/**
 * The evaluation queue consumer (`llm-canary-evals`). Per batch: parse every
 * job at the boundary, skip evaluators a redelivered job already has results
 * for, run the rest (budget, timeout, retries; failures become missing
 * scores), then write samples, scores and their rollups in one transaction.
 *
 * Ack rules: an invalid job never heals and samples are best effort, so it is
 * logged and acked. Only a D1 failure or an unreadable config retries the
 * batch (with backoff); an evaluator's failure never does, and never blocks
 * anything else.
 */
import { drizzle } from "drizzle-orm/d1";
import type { Evaluator } from "../../contracts/config";
import { describeIssues } from "../../contracts/config";
import type { RollupDim } from "../../contracts/dims";
import { secretNamed } from "../../contracts/secrets";
import { getRoutingConfig } from "../config/source";
import { retryDelaySeconds } from "../ingest/backoff";
import { EvalJobSchema, type EvalJob } from "./job";
import {
  jobEvaluatorNames,
  pairEvaluationRows,
  sampleEvaluationRows,
  sampleRow,
  type EvaluationRow,
} from "./rows";
import { runEvaluator, runPairJudge, type RunDeps } from "./run";
import { doneEvaluations, doneKey, takeBudgetSlot, writeEvaluations } from "./store";

/** Queue name as configured in wrangler.toml. */
export const EVALS_QUEUE = "llm-canary-evals";

async function evaluateJob(
  deps: RunDeps,
  job: EvalJob,
  done: Set<string>,
): Promise<EvaluationRow[]> {
  if (job.kind === "pair") {
    return done.has(doneKey(job.requestId, jobEvaluatorNames(job)[0]!))
      ? []
      : pairEvaluationRows(job, await runPairJudge(deps, job));
  }
  const todo = job.evaluators.filter((name) => !done.has(doneKey(job.requestId, name)));
  const results = await Promise.all(
    todo.map(async (name) => sampleEvaluationRows(job, name, await runEvaluator(deps, name, job))),
  );
  return results.flat();
}

/** Evaluators that gave no score are logged once per batch (they never fail it). */
function logMissing(rows: readonly EvaluationRow[]): void {
  const missing = rows.filter((r) => r.metric.startsWith("eval_missing_") && r.value === 1);
  if (missing.length === 0) return;
  console.warn({
    msg: "evals: evaluations missing",
    missing: missing.map((r) => ({ requestId: r.requestId, evaluator: r.evaluator })),
  });
}

export async function consumeEvalJobs(
  batch: MessageBatch<unknown>,
  env: Env,
  now: number,
  minuteDims?: readonly RollupDim[],
): Promise<void> {
  const jobs: Array<{ msg: Message<unknown>; job: EvalJob }> = [];
  for (const msg of batch.messages) {
    const parsed = EvalJobSchema.safeParse(msg.body);
    if (parsed.success) jobs.push({ msg, job: parsed.data });
    else {
      console.warn({
        msg: "evals: invalid job dropped",
        id: msg.id,
        errors: describeIssues(parsed.error),
      });
      msg.ack();
    }
  }
  if (jobs.length === 0) return;
  const db = drizzle(env.DB);
  const cfg = await getRoutingConfig(env.CONFIG, now);
  if (cfg === null) {
    // Without a config there are no evaluators to call; try again rather than record misses.
    console.error({ msg: "evals: no routing config, retrying batch", count: jobs.length });
    for (const { msg } of jobs) msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
    return;
  }
  const evaluators = new Map<string, Evaluator>((cfg.evaluators ?? []).map((e) => [e.name, e]));
  const deps: RunDeps = {
    evaluators,
    secret: (name) => secretNamed(env, name),
    takeBudget: (key, max) => takeBudgetSlot(db, key, max, Date.now()),
  };
  try {
    const done = await doneEvaluations(db, [...new Set(jobs.map((j) => j.job.requestId))]);
    const rows = (await Promise.all(jobs.map(({ job }) => evaluateJob(deps, job, done)))).flat();
    logMissing(rows);
    const samples = jobs.map(({ job }) => sampleRow(job, now));
    await writeEvaluations(db, samples, rows, { id: crypto.randomUUID(), at: now }, minuteDims);
  } catch (err) {
    console.error({
      msg: "evals: D1 failed, retrying batch",
      count: jobs.length,
      err: String(err),
    });
    for (const { msg } of jobs) msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
    return;
  }
  for (const { msg } of jobs) msg.ack();
}
