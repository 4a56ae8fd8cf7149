/**
 * The edge's quality work after a response has ended, run in `waitUntil` off
 * the response path: sample the answer for evaluation, and maybe replay the
 * request on the canary for paired judging. Whatever fails here is logged
 * and dropped; it can never affect the client, who already has its answer.
 */
import { drizzle } from "drizzle-orm/d1";
import type { Release, Route, RoutingConfig } from "../../contracts/config";
import type { OutcomeEvent } from "../../contracts/outcome";
import type { UpstreamResult } from "../proxy/upstream";
import { shadowBody, shadowJudge, shouldShadow } from "../shadow/select";
import { runShadow } from "../shadow/shadow";
import { shadowBudgetKey } from "./budget";
import type { EvalJob } from "./job";
import { sampleJob, shouldSample } from "./sample";
import { takeBudgetSlot } from "./store";
import { evalTexts } from "./texts";

export interface AfterResponse {
  env: Env;
  config: RoutingConfig;
  route: Route;
  event: OutcomeEvent;
  body: Record<string, unknown>;
  /** The answer text the client received (capped by the inspector). */
  answer: string;
  /** The client's `x-canary-idempotent` header. */
  idempotentHeader: string | null;
  /** Calls a release with a request body (the proxy's upstream call). */
  call: (release: Release, payload: Record<string, unknown>) => Promise<UpstreamResult>;
}

/** A uniform draw in [0, 1). */
export function uniform(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]! / 2 ** 32;
}

async function send(queue: Queue, job: EvalJob): Promise<void> {
  try {
    await queue.send(job, { contentType: "json" });
  } catch (e) {
    console.error(
      JSON.stringify({ msg: "evaluation job dropped", requestId: job.requestId, error: String(e) }),
    );
  }
}

export async function afterResponse(
  a: AfterResponse,
  random: () => number = uniform,
): Promise<void> {
  const { env, route, event } = a;
  try {
    if (shouldSample(route, event, random())) {
      await send(env.EVALS, sampleJob(route, event, evalTexts(a.body, a.answer)));
    }
    const judge = shadowJudge(a.config, route);
    const shadow = route.evaluation?.shadow;
    const canary = route.canary;
    if (
      judge !== null &&
      shadow &&
      canary &&
      shouldShadow(route, event, event.path, a.idempotentHeader, random())
    ) {
      const outcome = await runShadow({
        route,
        event,
        body: a.body,
        judge,
        stableAnswer: a.answer,
        takeBudget: () =>
          takeBudgetSlot(
            drizzle(env.DB),
            shadowBudgetKey(route.id),
            shadow.maxPerMinute,
            Date.now(),
          ),
        callCanary: () => a.call(canary, shadowBody(a.body, canary.model)),
        bodyTimeoutMs: a.config.settings.headerTimeoutMs,
        send: (job) => send(env.EVALS, job),
      });
      if (outcome !== "sent") {
        console.log(
          JSON.stringify({ msg: "shadow not judged", requestId: event.requestId, outcome }),
        );
      }
    }
  } catch (e) {
    console.error(
      JSON.stringify({
        msg: "quality sampling failed",
        requestId: event.requestId,
        error: String(e),
      }),
    );
  }
}
