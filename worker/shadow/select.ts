/**
 * Which requests are replayed on the canary for paired judging. Pure; the
 * uniform draw `u` is passed in. Only requests that are safe to send twice
 * qualify: stable-routed, answered well, a text generation (chat
 * completions, completions, responses), and not marked
 * `x-canary-idempotent: false` by the client.
 */
import type { Route, RoutingConfig } from "../../contracts/config";
import type { OutcomeEvent } from "../../contracts/outcome";

export const GENERATION_PATHS: ReadonlySet<string> = new Set([
  "/v1/chat/completions",
  "/v1/completions",
  "/v1/responses",
]);

export const IDEMPOTENT_HEADER = "x-canary-idempotent";

/**
 * @example
 * shouldShadow(route, event, "/v1/chat/completions", null, 0.01); // true at rate 0.05
 * shouldShadow(route, event, "/v1/chat/completions", "false", 0.01); // false: non-idempotent
 */
export function shouldShadow(
  route: Route,
  event: OutcomeEvent,
  path: string,
  idempotentHeader: string | null,
  u: number,
): boolean {
  const shadow = route.evaluation?.shadow;
  if (!shadow || !route.canary || route.state !== "active") return false;
  if (event.variant !== "stable" || event.failover || event.errorClass !== null) return false;
  if (event.completionChars === 0 || !GENERATION_PATHS.has(path)) return false;
  if (idempotentHeader !== null && idempotentHeader.trim().toLowerCase() === "false") return false;
  return u < shadow.rate;
}

/** The request body sent to the canary: its model, never streamed. */
export function shadowBody(
  body: Record<string, unknown>,
  canaryModel: string,
): Record<string, unknown> {
  const { stream_options: _streamOptions, ...rest } = body;
  return { ...rest, model: canaryModel, stream: false };
}

/** The first judge among the route's evaluators (config validation guarantees one with shadow). */
export function shadowJudge(config: RoutingConfig, route: Route): string | null {
  const judges = new Set(
    (config.evaluators ?? []).filter((e) => e.kind === "judge").map((e) => e.name),
  );
  return route.evaluation?.evaluators.find((name) => judges.has(name)) ?? null;
}
