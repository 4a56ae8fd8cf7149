/**
 * Builds the outcome event of one request from what the proxy observed. Pure:
 * the proxy passes timings and inspections in; this decides error classes,
 * token counts and metrics in one place.
 */
import { unitGroup } from "../../contracts/assignment";
import { rolloutStep } from "../../contracts/config";
import { BASE_METRICS, baseMetrics } from "../../contracts/metrics";
import type { ErrorClass, OutcomeEvent, Variant } from "../../contracts/outcome";
import type { RoutePlan } from "../routing/plan";
import type { RequestFacts } from "../routing/facts";
import type { Inspection } from "../proxy/inspect";
import type { RelayEnd } from "../proxy/relay";
import { qualitySignals } from "../quality/signals";

export interface Observed {
  requestId: string;
  startedAt: number;
  configVersion: number;
  facts: RequestFacts;
  plan: RoutePlan;
  /** The logging rate of the request's arm (contracts/sampling.ts). */
  sampleRate: number;
  /** Release that finally answered (stable after a failover). */
  servedBy: { releaseId: string; variant: Variant };
  status: number;
  /** Failure of the assigned variant before any byte reached the client. */
  upstreamError: ErrorClass | null;
  failover: boolean;
  ttfbMs: number | null;
  /** The router's own time before the origin call, ms (`x-canary-overhead-ms`). */
  overheadMs: number;
  relay: { end: RelayEnd; inspection: Inspection; endedAt: number } | null;
  endedAt: number;
  prompt: { hash: string | null; chars: number };
  /** The client's parsed request (for quality signals such as requested JSON). */
  body: Record<string, unknown>;
  refusalPhrases?: readonly string[];
}

function relayError(relay: NonNullable<Observed["relay"]>, stream: boolean): ErrorClass | null {
  switch (relay.end) {
    case "client_abort":
      return "client_abort";
    case "stall":
      return "stream_stall";
    case "cut":
      return "stream_cut";
    case "completed":
      return relay.inspection.error
        ? "stream_error"
        : stream || relay.inspection.completed
          ? null
          : "stream_error";
  }
}

export function buildOutcome(o: Observed): OutcomeEvent {
  const insp = o.relay?.inspection ?? null;
  const errorClass = o.upstreamError ?? (o.relay ? relayError(o.relay, o.facts.stream) : null);
  const latencyMs = Math.max(0, o.endedAt - o.startedAt);
  const ttftMs =
    o.facts.stream && insp?.firstTokenAt != null ? insp.firstTokenAt - o.startedAt : null;
  const outputTokens = insp
    ? (insp.outputTokens ?? (insp.contentEvents > 0 ? insp.contentEvents : null))
    : null;
  const genStart = o.facts.stream ? insp?.firstTokenAt : o.startedAt;
  const genMs = genStart != null ? o.endedAt - genStart : 0;
  const tokensPerSec =
    errorClass === null && outputTokens !== null && outputTokens > 1 && genMs > 0
      ? (outputTokens / genMs) * 1000
      : null;
  const streamCompleted =
    o.facts.stream && o.relay ? o.relay.end === "completed" && !insp?.error : null;
  const fields = {
    v: 1 as const,
    requestId: o.requestId,
    ts: o.startedAt,
    routeId: o.plan.route.id,
    releaseId: o.plan.release.id,
    variant: o.plan.variant,
    rolloutId: o.plan.route.canary?.id ?? null,
    configVersion: o.configVersion,
    step: rolloutStep(o.plan.route),
    weight: o.plan.weight,
    sampleRate: o.sampleRate,
    segment: o.plan.segment,
    country: o.facts.country,
    continent: o.facts.continent,
    region: o.facts.region,
    colo: o.facts.colo,
    cohort: o.facts.cohort,
    requestClass: o.facts.requestClass,
    keyed: o.facts.userKey !== null,
    unit: unitGroup(o.facts.userKey ?? o.requestId),
    path: o.facts.path,
    model: o.facts.model,
    stream: o.facts.stream,
    status: o.status,
    errorClass,
    latencyMs,
    ttfbMs: o.ttfbMs,
    ttftMs,
    inputTokens: insp?.inputTokens ?? null,
    outputTokens,
    tokensPerSec,
    finishReason: insp?.finishReason ?? null,
    streamCompleted,
    failover: o.failover,
    promptHash: o.prompt.hash,
    promptChars: o.prompt.chars,
    completionChars: insp?.completionChars ?? 0,
  };
  const quality = errorClass === null && insp ? qualitySignals(o.body, insp, o.refusalPhrases) : {};
  const overhead = { [BASE_METRICS.overheadMs]: Math.max(0, o.overheadMs) };
  return { ...fields, metrics: { ...baseMetrics(fields), ...overhead, ...quality } };
}
