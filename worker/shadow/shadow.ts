/**
 * Paired shadow judging at the edge: after the client's response has ended
 * (the caller runs this in `waitUntil`, from the relay's end), the same
 * request goes to the canary without streaming, and both answers, redacted,
 * go to the evaluation queue as a `pair` job. The client never waits for it
 * and never sees the canary's answer; shadow calls record no outcome.
 */
import type { Route } from "../../contracts/config";
import type { OutcomeEvent } from "../../contracts/outcome";
import { SAMPLE_TEXT_MAX, type PairJob } from "../eval/job";
import { evalTexts } from "../eval/texts";
import { JsonInspector } from "../proxy/inspect";
import type { UpstreamResult } from "../proxy/upstream";
import { redactForSample } from "../quality/redact";

export type ShadowOutcome = "sent" | "over_budget" | "canary_failed" | "no_answer";

export interface ShadowRun {
  route: Route;
  event: OutcomeEvent;
  body: Record<string, unknown>;
  /** The judge evaluator that compares the pair (see `shadowJudge`). */
  judge: string;
  /** Stable's answer as relayed to the client (capped by the inspector). */
  stableAnswer: string;
  /** Takes a slot of the route's shadow budget. */
  takeBudget: () => Promise<boolean>;
  /** Calls the canary with a non-streaming copy of the request. */
  callCanary: () => Promise<UpstreamResult>;
  /** Longest wait for the canary's body once its headers arrived. */
  bodyTimeoutMs: number;
  send: (job: PairJob) => Promise<void>;
}

async function readAnswer(
  result: Extract<UpstreamResult, { ok: true }>,
  timeoutMs: number,
): Promise<string | null> {
  const timer = setTimeout(() => result.abort.abort(), timeoutMs);
  try {
    const bytes = new Uint8Array(await result.response.arrayBuffer());
    const inspector = new JsonInspector();
    inspector.push(bytes, 0);
    const insp = inspector.end();
    return insp.error === null && insp.text.trim().length > 0 ? insp.text : null;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Replays one request on the canary and enqueues the pair.
 *
 * @example
 * ctx.waitUntil(runShadow({ route, event, body, stableAnswer, takeBudget, callCanary, bodyTimeoutMs, send }));
 */
export async function runShadow(run: ShadowRun): Promise<ShadowOutcome> {
  const canary = run.route.canary;
  if (!canary) return "no_answer";
  if (!(await run.takeBudget())) return "over_budget";
  const result = await run.callCanary();
  if (!result.ok) {
    await result.response?.body?.cancel();
    return "canary_failed";
  }
  const canaryAnswer = await readAnswer(result, run.bodyTimeoutMs);
  if (canaryAnswer === null) return "no_answer";
  const texts = evalTexts(run.body, run.stableAnswer);
  const e = run.event;
  await run.send({
    v: 1,
    kind: "pair",
    requestId: e.requestId,
    ts: e.ts,
    step: e.step,
    routeId: e.routeId,
    rolloutId: e.rolloutId,
    segment: e.segment,
    country: e.country,
    cohort: e.cohort,
    requestClass: e.requestClass,
    ...(e.unit === undefined ? {} : { unit: e.unit }),
    stableReleaseId: e.releaseId,
    canaryReleaseId: canary.id,
    judge: run.judge,
    prompt: texts.prompt,
    context: texts.context,
    stableAnswer: texts.answer,
    canaryAnswer: redactForSample(canaryAnswer, SAMPLE_TEXT_MAX, "head"),
  });
  return "sent";
}
