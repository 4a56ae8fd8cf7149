/**
 * Extracts routing facts from an incoming request: geography from
 * `request.cf`, identity and cohort from headers or the body, request type
 * from path, body and headers. Untrusted values that are malformed or too long
 * are dropped (treated as absent), never reflected.
 */
import type { RequestFacts } from "./facts";

const TOKEN = /^[\x21-\x7e]+$/;

/**
 * Longest value kept per fact: what an outcome event (and a feedback token)
 * can carry. A longer value would make the request's outcome invalid, and
 * the outcome would be lost to the dead-letter queue.
 */
const MAX = { user: 256, dim: 128, geo: 8 } as const;

function clean(value: string | null | undefined, max: number = MAX.user): string | null {
  return typeof value === "string" && value.length <= max && TOKEN.test(value) ? value : null;
}

/** Parses `x-canary-geo: country=DE; continent=EU; colo=FRA; region=Bavaria`. */
export function parseGeoOverride(
  header: string | null,
): Partial<Record<"country" | "continent" | "colo" | "region", string>> {
  const out: Partial<Record<"country" | "continent" | "colo" | "region", string>> = {};
  if (!header || header.length > 512) return out;
  for (const part of header.split(/[;,]/)) {
    const [k, v] = part.split("=").map((s) => s.trim());
    if (
      (k === "country" || k === "continent" || k === "colo" || k === "region") &&
      v &&
      clean(v, k === "region" ? MAX.dim : MAX.geo)
    )
      out[k] = v;
  }
  return out;
}

export function requestFacts(
  req: Request,
  path: string,
  body: Record<string, unknown>,
  allowGeoOverride: boolean,
): RequestFacts {
  const cf = (req.cf ?? {}) as Partial<IncomingRequestCfProperties>;
  const geo = allowGeoOverride ? parseGeoOverride(req.headers.get("x-canary-geo")) : {};
  const bodyUser =
    typeof body.user === "string"
      ? body.user
      : typeof body.safety_identifier === "string"
        ? body.safety_identifier
        : null;
  return {
    country: geo.country ?? clean(cf.country as string | undefined, MAX.geo),
    continent: geo.continent ?? clean(cf.continent, MAX.geo),
    region:
      geo.region ?? (typeof cf.region === "string" && cf.region.length <= 128 ? cf.region : null),
    colo: geo.colo ?? clean(cf.colo, MAX.geo),
    cohort: clean(req.headers.get("x-canary-cohort"), MAX.dim),
    userKey: clean(req.headers.get("x-canary-user")) ?? clean(bodyUser),
    path,
    model: typeof body.model === "string" ? body.model : "",
    stream: body.stream === true,
    requestClass: clean(req.headers.get("x-request-class"), MAX.dim),
    header: (name) => req.headers.get(name),
  };
}

/** The prompt text of an OpenAI request (for hashing and length only). */
export function promptText(body: Record<string, unknown>): string {
  const p = body.messages ?? body.prompt ?? body.input ?? "";
  return typeof p === "string" ? p : JSON.stringify(p);
}
