/**
 * Which answered requests are sampled for evaluation, and the job built for
 * one. Pure: the uniform random draw `u` is passed in. Only answers the
 * assigned variant produced itself count (a failover's answer came from
 * stable, so it says nothing about the canary); nothing is built, let alone
 * stored, for unsampled requests.
 */
import type { Route } from "../../contracts/config";
import type { OutcomeEvent } from "../../contracts/outcome";
import type { SampleJob } from "./job";
import type { EvalTexts } from "./texts";

/**
 * Whether to sample this request's answer.
 *
 * @example
 * shouldSample(route, event, 0.05); // true when the canary's rate is 0.1 and the event is a canary answer
 */
export function shouldSample(route: Route, event: OutcomeEvent, u: number): boolean {
  const ev = route.evaluation;
  if (!ev || ev.evaluators.length === 0) return false;
  if (event.errorClass !== null || event.failover || event.completionChars === 0) return false;
  return u < ev.sampleRate[event.variant];
}

/** The evaluation job of a sampled request. */
export function sampleJob(route: Route, event: OutcomeEvent, texts: EvalTexts): SampleJob {
  return {
    v: 1,
    kind: "sample",
    requestId: event.requestId,
    ts: event.ts,
    step: event.step,
    routeId: event.routeId,
    releaseId: event.releaseId,
    variant: event.variant,
    rolloutId: event.rolloutId,
    segment: event.segment,
    country: event.country,
    cohort: event.cohort,
    requestClass: event.requestClass,
    ...(event.unit === undefined ? {} : { unit: event.unit }),
    evaluators: route.evaluation?.evaluators ?? [],
    prompt: texts.prompt,
    context: texts.context,
    answer: texts.answer,
  };
}
