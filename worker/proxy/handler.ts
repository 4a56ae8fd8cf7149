/**
 * The `/v1/*` proxy: parse, plan, call the assigned origin (failing over from a
 * canary to stable before the first byte), relay the answer, and record one
 * outcome event off the response path.
 */
import type { Context } from "hono";
import type { Release, RoutingConfig } from "../../contracts/config";
import type { ErrorClass } from "../../contracts/outcome";
import { secretNamed } from "../../contracts/secrets";
import { getRoutingConfig } from "../config/source";
import { ApiError, errorBody } from "../errors";
import { buildOutcome, type Observed } from "../outcome/build";
import { afterResponse } from "../eval/edge";
import { FEEDBACK_TOKEN_HEADER, issueFeedbackToken } from "../feedback/issue";
import { feedbackKey } from "../feedback/route";
import { countAssignment } from "../outcome/beacon";
import { emitOutcome, promptDigest } from "../outcome/emit";
import { IDEMPOTENT_HEADER } from "../shadow/select";
import { BUCKETS } from "../../contracts/assignment";
import { requestLoggingRate, sampledIn } from "../../contracts/sampling";
import { promptText, requestFacts } from "../routing/from-request";
import type { RequestFacts } from "../routing/facts";
import { planRequest, type RoutePlan } from "../routing/plan";
import type { AppEnv } from "../types";
import { downstreamHeaders, upstreamHeaders } from "./headers";
import { readJsonBody } from "./body";
import { relayBody, type RelayResult } from "./relay";
import { scrubBody, scrubHeaders } from "./scrub";
import { CircuitBreaker } from "./circuit";
import { callUpstream, canFailOver, type UpstreamResult } from "./upstream";

const now = () => Date.now();

/** The router's own time before the origin call, in ms, on every proxied answer. */
export const OVERHEAD_HEADER = "x-canary-overhead-ms";

/** Releases that asked this isolate to back off (429 with Retry-After). */
const breaker = new CircuitBreaker();
const CIRCUIT_OPEN: UpstreamResult = {
  ok: false,
  errorClass: "connect",
  response: null,
  status: null,
  ttfbMs: null,
  detail: "circuit open after a 429 with Retry-After",
};

function randomBucket(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]! % BUCKETS;
}

async function loadConfig(kv: KVNamespace): Promise<RoutingConfig> {
  const config = await getRoutingConfig(kv, now());
  if (!config) {
    throw new ApiError(
      503,
      "server_error",
      "config_unavailable",
      "No valid routing configuration is available.",
    );
  }
  return config;
}

function apiKeyFor(env: Env, release: Release): string | null {
  return release.apiKeySecret ? secretNamed(env, release.apiKeySecret) : null;
}

/** GET /v1/models: the model aliases this edge serves. */
export async function listModels(c: Context<AppEnv>): Promise<Response> {
  const config = await loadConfig(c.env.CONFIG);
  const data = config.routes.flatMap((r) =>
    r.models.map((id) => ({ id, object: "model", created: 0, owned_by: `llm-canary:${r.id}` })),
  );
  return c.json({ object: "list", data });
}

/** One client request once it is planned: what every stage reads. */
interface Exchange {
  c: Context<AppEnv>;
  requestId: string;
  startedAt: number;
  config: RoutingConfig;
  body: Record<string, unknown>;
  url: URL;
  facts: RequestFacts;
  plan: RoutePlan;
  /** The router's own time before the origin call, ms. */
  overheadMs: number;
}

/** What the origin calls came to: the answer, who gave it, and what failed. */
interface Attempt {
  result: UpstreamResult;
  served: Release;
  upstreamError: ErrorClass | null;
  failover: boolean;
}

/** Parses and plans the request; throws the client's 400/404/413/503 as `ApiError`. */
async function prepare(c: Context<AppEnv>): Promise<Exchange> {
  const startedAt = now();
  const requestId = c.get("requestId");
  const config = await loadConfig(c.env.CONFIG);
  const body = await readJsonBody(c.req.raw, config.settings.maxBodyBytes);
  if (typeof body.model !== "string" || body.model.length === 0) {
    throw new ApiError(
      400,
      "invalid_request_error",
      "missing_model",
      "The request must name a model (string field `model`).",
    );
  }
  const url = new URL(c.req.url);
  const facts = requestFacts(c.req.raw, url.pathname, body, c.env.ALLOW_GEO_OVERRIDE === "true");
  const planned = planRequest(config, facts, randomBucket());
  if (!planned.ok) {
    throw new ApiError(
      404,
      "not_found_error",
      "model_not_found",
      `The model \`${facts.model}\` does not exist on this path.`,
    );
  }
  // Everything so far is the router's own time. The Workers clock advances only
  // across I/O, so in production this counts awaited work (config, body).
  const overheadMs = now() - startedAt;
  return { c, requestId, startedAt, config, body, url, facts, plan: planned.plan, overheadMs };
}

/** Calls a release with the client's request (its model rewritten, or another payload). */
function callRelease(
  x: Exchange,
  release: Release,
  payload: Record<string, unknown> = { ...x.body, model: release.model },
): Promise<UpstreamResult> {
  return callUpstream(
    {
      release,
      pathAndQuery: x.url.pathname + x.url.search,
      headers: upstreamHeaders(x.c.req.raw.headers, apiKeyFor(x.c.env, release), x.requestId),
      body: JSON.stringify(payload),
      headerTimeoutMs: x.config.settings.headerTimeoutMs,
    },
    now,
  );
}

/**
 * Calls the assigned release, unless its circuit is open, and fails a canary
 * over to stable when it failed before its first byte.
 */
async function attempt(x: Exchange): Promise<Attempt> {
  const { plan, config } = x;
  const canary = plan.variant === "canary";
  const circuitOpen = config.settings.failover && canary && breaker.isOpen(plan.release.id, now());
  const first = circuitOpen ? CIRCUIT_OPEN : await callRelease(x, plan.release);
  const upstreamError: ErrorClass | null = circuitOpen
    ? "circuit_open"
    : first.ok
      ? null
      : first.errorClass;
  if (!first.ok && first.errorClass === "http_429" && canary) {
    breaker.trip(plan.release.id, first.response?.headers.get("retry-after") ?? null, now());
  }
  if (first.ok || !canary || !config.settings.failover || !canFailOver(first.errorClass)) {
    return { result: first, served: plan.release, upstreamError, failover: false };
  }
  await first.response?.body?.cancel();
  console.warn(
    JSON.stringify({
      msg: "canary failed before first byte; failing over",
      requestId: x.requestId,
      release: plan.release.id,
      detail: first.detail,
    }),
  );
  const result = await callRelease(x, plan.stable);
  return {
    result,
    served: plan.stable,
    upstreamError: result.ok ? upstreamError : result.errorClass,
    failover: true,
  };
}

/**
 * Records the request's outcome off the response path: its assignment in
 * the isolate's counts, the event to the queue (when sampled in), then
 * evaluation sampling and shadowing. A failure here never reaches
 * the client (`emitOutcome` and `afterResponse` log and count their own).
 */
function record(
  x: Exchange,
  a: Attempt,
  status: number,
  ttfbMs: number | null,
  relay: Promise<RelayResult | null>,
): void {
  const { c, config, plan, body } = x;
  if (c.env.OUTCOME_LOGGING === "off") return;
  const unitKey = x.facts.userKey ?? x.requestId;
  const sampleRate = requestLoggingRate(
    config.settings.logging,
    plan.route.logging,
    plan.weight,
    plan.variant,
  );
  const logged = sampledIn(unitKey, sampleRate);
  // Every request counts, logged or not: the exact split the SRM test reads.
  countAssignment(
    c.executionCtx,
    c.env.OUTCOMES,
    plan,
    unitKey,
    logged,
    now(),
    config.settings.assignmentCountsIntervalMs,
  );
  // Most unlogged requests have nothing else to do after the answer.
  if (!logged && !plan.route.evaluation) return;
  const idempotentHeader = c.req.header(IDEMPOTENT_HEADER) ?? null;
  const respondedAt = now(); // the end of an answer that has no body to relay
  c.executionCtx.waitUntil(
    (async () => {
      const r = await relay;
      // A timer turn first: the client's last bytes go out before the event is built.
      await scheduler.wait(0);
      const observed: Observed = {
        requestId: x.requestId,
        startedAt: x.startedAt,
        configVersion: config.version,
        sampleRate,
        facts: x.facts,
        plan,
        servedBy: {
          releaseId: a.served.id,
          variant: a.served === plan.stable ? "stable" : "canary",
        },
        status,
        upstreamError: a.upstreamError,
        failover: a.failover,
        ttfbMs,
        overheadMs: x.overheadMs,
        relay: r,
        endedAt: r?.endedAt ?? respondedAt,
        prompt: await promptDigest(promptText(body)),
        body,
        refusalPhrases: config.settings.quality.refusalPhrases,
      };
      const event = buildOutcome(observed);
      if (logged) await emitOutcome(c.env.OUTCOMES, event);
      // Sampling and shadowing are configured per route; most routes have neither.
      if (!plan.route.evaluation) return;
      await afterResponse({
        env: c.env,
        config,
        route: plan.route,
        event,
        body,
        answer: r?.inspection.text ?? "",
        idempotentHeader,
        call: (release, payload) => callRelease(x, release, payload),
      });
    })(),
  );
}

/** The routing headers every proxied answer carries. */
function routingHeaders(
  x: Exchange,
  a: Attempt,
  feedbackToken: string | null,
  h: Headers,
): Headers {
  h.set("x-canary-variant", a.served === x.plan.stable ? "stable" : x.plan.variant);
  h.set("x-canary-release", a.served.id);
  h.set(OVERHEAD_HEADER, String(x.overheadMs));
  if (feedbackToken !== null) h.set(FEEDBACK_TOKEN_HEADER, feedbackToken);
  return h;
}

/** The client's answer: the origin's, relayed, or an OpenAI-shaped failure. */
function respond(x: Exchange, a: Attempt, feedbackToken: string | null): Response {
  const { c, plan, config } = x;
  // Origin keys this request injected: never relayed back, even if an origin echoes them.
  const keys = [plan.release, plan.stable].flatMap((r) => apiKeyFor(c.env, r) ?? []);
  const { result } = a;
  if (!result.ok) {
    const response = failureResponse(result, plan, a.failover, keys);
    routingHeaders(x, a, feedbackToken, response.headers);
    record(x, a, response.status, result.ttfbMs, Promise.resolve(null));
    return response;
  }
  const origin = result.response;
  const downstream = scrubHeaders(downstreamHeaders(origin.headers), keys);
  const headers = routingHeaders(x, a, feedbackToken, downstream);
  if (!origin.body) {
    record(x, a, origin.status, result.ttfbMs, Promise.resolve(null));
    return new Response(null, { status: origin.status, headers });
  }
  const sse = (origin.headers.get("content-type") ?? "").includes("text/event-stream");
  const relay = relayBody(origin.body, origin.headers, {
    sse,
    secrets: keys,
    idleTimeoutMs: config.settings.streamIdleTimeoutMs,
    abort: result.abort,
    now,
    clientGone: c.req.raw.signal,
  });
  // Registered before the response goes out: once a client disconnects, work the
  // request starts is cancelled, but what it already handed to waitUntil runs on.
  record(x, a, origin.status, result.ttfbMs, relay.ended);
  return new Response(relay.stream, { status: origin.status, headers });
}

/** `POST /v1/*`: prepare, attempt, respond (recording the outcome off the response path). */
export async function proxy(c: Context<AppEnv>): Promise<Response> {
  const x = await prepare(c);
  const a = await attempt(x);
  const feedbackToken = await issueFeedbackToken(feedbackKey(c.env), {
    requestId: x.requestId,
    plan: x.plan,
    served: a.served,
    facts: x.facts,
    now: now(),
  });
  return respond(x, a, feedbackToken);
}

/** The client's answer when no origin could answer (or the origin refused the request). */
function failureResponse(
  result: Extract<UpstreamResult, { ok: false }>,
  plan: RoutePlan,
  failover: boolean,
  keys: readonly string[],
): Response {
  console.error(
    JSON.stringify({
      msg: "origin failed",
      route: plan.route.id,
      failover,
      errorClass: result.errorClass,
      detail: result.detail,
    }),
  );
  if (result.response && (result.errorClass === "http_4xx" || result.errorClass === "http_429")) {
    // The origin's own 4xx answer is about the client's request: pass it on.
    const body = result.response.body ? scrubBody(result.response.body, keys) : null;
    return new Response(body, {
      status: result.response.status,
      headers: scrubHeaders(downstreamHeaders(result.response.headers), keys),
    });
  }
  const code =
    result.errorClass === "timeout"
      ? "origin_timeout"
      : result.errorClass === "connect"
        ? "origin_unreachable"
        : "origin_error";
  return Response.json(errorBody("server_error", code, "The model origin failed to answer."), {
    status: 502,
  });
}
