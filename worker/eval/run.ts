/**
 * Runs one evaluator on one job: budget first, then the call with its
 * timeout and retries, then strict parsing. Never throws for an evaluator's
 * failure; every way of not getting a score is a `missing` result.
 */
import type { Evaluator } from "../../contracts/config";
import { evaluatorBudgetKey } from "./budget";
import {
  CHAT_PATH,
  pairwiseRequest,
  scoreFromJudge,
  scoreRequest,
  winnerFromJudge,
} from "./evaluators/judge";
import { MODERATION_PATH, moderationRequest, moderationScores } from "./evaluators/moderation";
import { PERSPECTIVE_PATH, perspectiveRequest, perspectiveScores } from "./evaluators/perspective";
import { missing, type Scores } from "./evaluators/result";
import { endpoint, postJson, type CallOptions } from "./http";
import type { PairJob, SampleJob } from "./job";
import { combineSwapped, type PairResult } from "./pairwise";

export interface RunDeps {
  /** Evaluators defined in the current config, by name. */
  evaluators: ReadonlyMap<string, Evaluator>;
  /** A Worker secret by name, or null. */
  secret: (name: string) => string | null;
  /** Takes one slot of a budget key; false when the minute's budget is spent. */
  takeBudget: (key: string, max: number) => Promise<boolean>;
  sleep?: CallOptions["sleep"];
}

export type PairOutcome = { ok: true; result: PairResult } | Extract<Scores, { ok: false }>;

function callOptions(e: Evaluator, deps: RunDeps): CallOptions {
  const key = e.apiKeySecret ? deps.secret(e.apiKeySecret) : null;
  const headers: Record<string, string> =
    key && e.kind !== "perspective" ? { authorization: `Bearer ${key}` } : {};
  return { headers, timeoutMs: e.timeoutMs, retries: e.retries, sleep: deps.sleep };
}

function perspectiveUrl(e: Evaluator, deps: RunDeps): string {
  const url = endpoint(e.url, PERSPECTIVE_PATH);
  const key = e.apiKeySecret ? deps.secret(e.apiKeySecret) : null;
  return key ? `${url}?key=${encodeURIComponent(key)}` : url;
}

async function admitted(e: Evaluator, deps: RunDeps): Promise<boolean> {
  return deps.takeBudget(evaluatorBudgetKey(e.name), e.maxPerMinute);
}

/**
 * Scores of one sample from one evaluator.
 *
 * @example
 * const scores = await runEvaluator(deps, "moderation", job);
 * if (!scores.ok) console.warn(scores.reason);
 */
export async function runEvaluator(deps: RunDeps, name: string, job: SampleJob): Promise<Scores> {
  const e = deps.evaluators.get(name);
  if (!e) return missing("unknown_evaluator", `no evaluator "${name}" in the config`);
  if (!(await admitted(e, deps))) return missing("over_budget", `${e.maxPerMinute}/min spent`);
  const opts = callOptions(e, deps);
  switch (e.kind) {
    case "moderation": {
      const r = await postJson(
        endpoint(e.url, MODERATION_PATH),
        moderationRequest(job.answer),
        opts,
      );
      return r.ok ? moderationScores(r.json) : missing("failed", `${r.reason}: ${r.detail}`);
    }
    case "perspective": {
      const r = await postJson(perspectiveUrl(e, deps), perspectiveRequest(job.answer), opts);
      return r.ok ? perspectiveScores(r.json) : missing("failed", `${r.reason}: ${r.detail}`);
    }
    case "judge": {
      const r = await postJson(endpoint(e.url, CHAT_PATH), scoreRequest(e.model ?? "", job), opts);
      return r.ok
        ? scoreFromJudge(r.json, job.context !== null)
        : missing("failed", `${r.reason}: ${r.detail}`);
    }
  }
}

/**
 * The canary's result on one pair: the judge is asked twice, positions
 * swapped, and the two verdicts are combined (see `pairwise.ts`).
 */
export async function runPairJudge(deps: RunDeps, job: PairJob): Promise<PairOutcome> {
  const e = deps.evaluators.get(job.judge);
  if (!e || e.kind !== "judge") {
    return {
      ok: false,
      reason: "unknown_evaluator",
      detail: `no judge "${job.judge}" in the config`,
    };
  }
  if (!(await admitted(e, deps))) {
    return { ok: false, reason: "over_budget", detail: `${e.maxPerMinute}/min spent` };
  }
  const opts = callOptions(e, deps);
  const url = endpoint(e.url, CHAT_PATH);
  const model = e.model ?? "";
  const [first, swapped] = await Promise.all([
    postJson(url, pairwiseRequest(model, job, job.stableAnswer, job.canaryAnswer), opts),
    postJson(url, pairwiseRequest(model, job, job.canaryAnswer, job.stableAnswer), opts),
  ]);
  if (!first.ok || !swapped.ok) {
    const failed = !first.ok ? first : swapped;
    return {
      ok: false,
      reason: "failed",
      detail: failed.ok ? "" : `${failed.reason}: ${failed.detail}`,
    };
  }
  const a = winnerFromJudge(first.json);
  const b = winnerFromJudge(swapped.json);
  if (a === null || b === null) {
    return { ok: false, reason: "unparseable", detail: "judge output is not the rubric's JSON" };
  }
  return { ok: true, result: combineSwapped(a, b) };
}
