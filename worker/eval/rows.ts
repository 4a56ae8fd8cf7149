/**
 * Pure mapping from evaluation jobs and results to `eval_samples` and
 * `evaluations` rows. Every (sample, evaluator) gets `eval_missing_<name>`
 * (0 or 1) and `eval_skipped_<name>` (0 or 1, budget), so the missing share is
 * a rate with a denominator; scores are added only when there are scores.
 * A pair writes `pairwise_win` into the canary arm and 0.5 into the stable
 * arm (see docs/quality-signals.md), under the evaluator name `pair:<judge>`.
 */
import type { evalSamples, evaluations } from "../../contracts/db/schema";
import {
  PAIRWISE_STABLE_VALUE,
  QUALITY_METRICS,
  evalMissingMetric,
  evalSkippedMetric,
} from "../../contracts/quality";
import type { Scores } from "./evaluators/result";
import type { EvalJob, PairJob, SampleJob } from "./job";
import type { PairOutcome } from "./run";
import { rollupMinute } from "../../contracts/minute";
import { unitGroup } from "../../contracts/assignment";

export type EvaluationRow = Omit<typeof evaluations.$inferSelect, "evalBatch" | "createdAt">;
export type SampleRow = typeof evalSamples.$inferSelect;

/** The evaluator name under which a pair's rows are stored. */
export function pairEvaluatorName(judge: string): string {
  return `pair:${judge}`;
}

/** The (request, evaluator) keys a job produces rows for. */
export function jobEvaluatorNames(job: EvalJob): string[] {
  return job.kind === "sample" ? job.evaluators : [pairEvaluatorName(job.judge)];
}

function keyOf(job: EvalJob, arm: { releaseId: string; variant: "stable" | "canary" }) {
  return {
    requestId: job.requestId,
    minute: rollupMinute(job.ts),
    step: job.step,
    routeId: job.routeId,
    rolloutId: job.rolloutId ?? "",
    releaseId: arm.releaseId,
    variant: arm.variant,
    segment: job.segment,
    country: job.country,
    cohort: job.cohort,
    requestClass: job.requestClass,
    // A job from an older edge counts as its own unit, as an outcome does.
    unit: job.unit ?? unitGroup(job.requestId),
  };
}

function statusMetrics(evaluator: string, result: { ok: boolean; reason?: string }) {
  return {
    [evalMissingMetric(evaluator)]: result.ok ? 0 : 1,
    [evalSkippedMetric(evaluator)]: !result.ok && result.reason === "over_budget" ? 1 : 0,
  };
}

/** The `eval_samples` row of a job. */
export function sampleRow(job: EvalJob, now: number): SampleRow {
  const arm =
    job.kind === "sample"
      ? { releaseId: job.releaseId, variant: job.variant }
      : { releaseId: job.stableReleaseId, variant: "stable" as const };
  const { requestId, ...key } = keyOf(job, arm);
  return {
    requestId,
    kind: job.kind,
    ...key,
    prompt: job.prompt,
    context: job.context,
    answer: job.kind === "sample" ? job.answer : job.stableAnswer,
    canaryAnswer: job.kind === "pair" ? job.canaryAnswer : null,
    canaryReleaseId: job.kind === "pair" ? job.canaryReleaseId : null,
    createdAt: now,
  };
}

/**
 * Rows of one evaluator's result on a sample.
 *
 * @example
 * sampleEvaluationRows(job, "mod", { ok: true, metrics: { toxicity: 1, toxicity_score: 0.9 } });
 * // rows for toxicity 1, toxicity_score 0.9, eval_missing_mod 0, eval_skipped_mod 0
 */
export function sampleEvaluationRows(
  job: SampleJob,
  evaluator: string,
  scores: Scores,
): EvaluationRow[] {
  const key = keyOf(job, job);
  const metrics = { ...(scores.ok ? scores.metrics : {}), ...statusMetrics(evaluator, scores) };
  return Object.entries(metrics).map(([metric, value]) => ({ ...key, evaluator, metric, value }));
}

/** Rows of a judged pair: the canary's result in the canary arm, 0.5 in the stable arm. */
export function pairEvaluationRows(job: PairJob, outcome: PairOutcome): EvaluationRow[] {
  const evaluator = pairEvaluatorName(job.judge);
  const arms = [
    {
      arm: { releaseId: job.canaryReleaseId, variant: "canary" as const },
      win: outcome.ok ? outcome.result : null,
    },
    {
      arm: { releaseId: job.stableReleaseId, variant: "stable" as const },
      win: PAIRWISE_STABLE_VALUE,
    },
  ];
  return arms.flatMap(({ arm, win }) => {
    const key = keyOf(job, arm);
    const metrics: Record<string, number> = statusMetrics(job.judge, outcome);
    if (outcome.ok && win !== null) metrics[QUALITY_METRICS.pairwiseWin] = win;
    return Object.entries(metrics).map(([metric, value]) => ({ ...key, evaluator, metric, value }));
  });
}
