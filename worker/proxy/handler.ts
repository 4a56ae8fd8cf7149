/**
 * The `/v1/*` proxy: parse, plan, call the assigned origin (failing over from a
 * canary to stable before the first byte), relay the answer, and record one
 * outcome event off the response path.
 */
import type { Context } from "hono";
import type { Release, RoutingConfig } from "../../contracts/config";
import type { ErrorClass } from "../../contracts/outcome";
import { getRoutingConfig } from "../config/source";
import { ApiError, errorBody } from "../errors";
import { buildOutcome, type Observed } from "../outcome/build";
import { afterResponse } from "../eval/edge";
import { FEEDBACK_TOKEN_HEADER, issueFeedbackToken } from "../feedback/issue";
import { feedbackKey } from "../feedback/route";
import { emitOutcome, promptDigest } from "../outcome/emit";
import { IDEMPOTENT_HEADER } from "../shadow/select";
import { BUCKETS } from "../routing/assign";
import { promptText, requestFacts } from "../routing/from-request";
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
  if (!release.apiKeySecret) return null;
  const value = (env as unknown as Record<string, unknown>)[release.apiKeySecret];
  return typeof value === "string" && value.length > 0 ? value : null;
}

/** GET /v1/models: the model aliases this edge serves. */
export async function listModels(c: Context<AppEnv>): Promise<Response> {
  const config = await loadConfig(c.env.CONFIG);
  const data = config.routes.flatMap((r) =>
    r.models.map((id) => ({ id, object: "model", created: 0, owned_by: `llm-canary:${r.id}` })),
  );
  return c.json({ object: "list", data });
}

export async function proxy(c: Context<AppEnv>): Promise<Response> {
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
  const plan = planned.plan;
  const call = (
    release: Release,
    payload: Record<string, unknown> = { ...body, model: release.model },
  ): Promise<UpstreamResult> =>
    callUpstream(
      {
        release,
        pathAndQuery: url.pathname + url.search,
        headers: upstreamHeaders(c.req.raw.headers, apiKeyFor(c.env, release), requestId),
        body: JSON.stringify(payload),
        headerTimeoutMs: config.settings.headerTimeoutMs,
      },
      now,
    );

  const circuitOpen =
    config.settings.failover && plan.variant === "canary" && breaker.isOpen(plan.release.id, now());
  // Everything so far is the router's own time. The Workers clock advances only
  // across I/O, so in production this counts awaited work (config, body).
  const overheadMs = now() - startedAt;
  let result: UpstreamResult = circuitOpen ? CIRCUIT_OPEN : await call(plan.release);
  let served: Release = plan.release;
  let upstreamError: ErrorClass | null = circuitOpen
    ? "circuit_open"
    : result.ok
      ? null
      : result.errorClass;
  let failover = false;
  if (!result.ok && result.errorClass === "http_429" && plan.variant === "canary") {
    breaker.trip(plan.release.id, result.response?.headers.get("retry-after") ?? null, now());
  }
  if (
    !result.ok &&
    plan.variant === "canary" &&
    config.settings.failover &&
    canFailOver(result.errorClass)
  ) {
    await result.response?.body?.cancel();
    console.warn(
      JSON.stringify({
        msg: "canary failed before first byte; failing over",
        requestId,
        release: plan.release.id,
        detail: result.detail,
      }),
    );
    failover = true;
    served = plan.stable;
    result = await call(plan.stable);
    if (!result.ok) upstreamError = result.errorClass;
  }
  const feedbackToken = await issueFeedbackToken(feedbackKey(c.env), {
    requestId,
    plan,
    served,
    facts,
    now: now(),
  });

  const observe = (status: number, ttfbMs: number | null, relay: RelayResult | null): Observed => ({
    requestId,
    startedAt,
    configVersion: config.version,
    facts,
    plan,
    servedBy: { releaseId: served.id, variant: served === plan.stable ? "stable" : "canary" },
    status,
    upstreamError,
    failover,
    ttfbMs,
    overheadMs,
    relay,
    endedAt: relay?.endedAt ?? now(),
    prompt: { hash: null, chars: 0 },
    body,
    refusalPhrases: config.settings.quality.refusalPhrases,
  });
  const idempotentHeader = c.req.header(IDEMPOTENT_HEADER) ?? null;
  const record = (observed: Observed | Promise<Observed>) =>
    c.env.OUTCOME_LOGGING === "off" ||
    c.executionCtx.waitUntil(
      (async () => {
        const o = await observed;
        // A timer turn first: the client's last bytes go out before the event is built.
        await scheduler.wait(0);
        const prompt = await promptDigest(promptText(body));
        const event = buildOutcome({ ...o, prompt });
        await emitOutcome(c.env.OUTCOMES, event);
        // Sampling and shadowing are configured per route; most routes have neither.
        if (!plan.route.evaluation) return;
        await afterResponse({
          env: c.env,
          config,
          route: plan.route,
          event,
          body,
          answer: o.relay?.inspection.text ?? "",
          idempotentHeader,
          call,
        });
      })(),
    );

  const variantHeaders = (h: Headers) => {
    h.set("x-canary-variant", served === plan.stable ? "stable" : plan.variant);
    h.set("x-canary-release", served.id);
    h.set(OVERHEAD_HEADER, String(overheadMs));
    if (feedbackToken !== null) h.set(FEEDBACK_TOKEN_HEADER, feedbackToken);
    return h;
  };

  // Origin keys this request injected: never relayed back, even if an origin echoes them.
  const keys = [plan.release, plan.stable].flatMap((r) => apiKeyFor(c.env, r) ?? []);
  if (!result.ok) {
    const response = failureResponse(result, plan, failover, keys);
    variantHeaders(response.headers);
    record(observe(response.status, result.ttfbMs, null));
    return response;
  }

  const origin = result.response;
  const headers = variantHeaders(scrubHeaders(downstreamHeaders(origin.headers), keys));
  if (!origin.body) {
    record(observe(origin.status, result.ttfbMs, null));
    return new Response(null, { status: origin.status, headers });
  }
  const ttfbMs = result.ttfbMs;
  const sse = (origin.headers.get("content-type") ?? "").includes("text/event-stream");
  const relay = relayBody(origin.body, {
    sse,
    secrets: keys,
    idleTimeoutMs: config.settings.streamIdleTimeoutMs,
    abort: result.abort,
    now,
    clientGone: c.req.raw.signal,
  });
  // Registered before the response goes out: once a client disconnects, work the
  // request starts is cancelled, but what it already handed to waitUntil runs on.
  record(relay.ended.then((r) => observe(origin.status, ttfbMs, r)));
  return new Response(relay.stream, { status: origin.status, headers });
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
