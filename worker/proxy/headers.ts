/**
 * Header hygiene between client and origin. Pure.
 *
 * Upstream: the client's credentials (authorization, api keys, cookies), Cloudflare
 * and forwarding headers, our own `x-canary-*` control headers and hop-by-hop
 * headers are never forwarded; the origin key is injected from its secret.
 * Downstream: hop-by-hop and framing headers from the origin are dropped (the
 * runtime re-frames the body), and cookies are never passed to clients.
 */

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

const CLIENT_ONLY = new Set([
  "authorization",
  "api-key",
  "x-api-key",
  "cookie",
  "host",
  "content-length",
  "forwarded",
  "x-real-ip",
  "true-client-ip",
  "x-request-id",
  "openai-organization",
  "openai-project",
]);

function forwardableRequestHeader(name: string): boolean {
  return !(
    HOP_BY_HOP.has(name) ||
    CLIENT_ONLY.has(name) ||
    name.startsWith("cf-") ||
    name.startsWith("x-canary-") ||
    name.startsWith("x-forwarded-")
  );
}

/** Headers to send upstream: the client's minus everything private, plus the origin key. */
export function upstreamHeaders(
  client: Headers,
  apiKey: string | null,
  requestId: string,
): Headers {
  const out = new Headers();
  client.forEach((value, name) => {
    if (forwardableRequestHeader(name)) out.set(name, value);
  });
  out.set("content-type", "application/json");
  out.set("x-request-id", requestId);
  if (apiKey) out.set("authorization", `Bearer ${apiKey}`);
  return out;
}

const NOT_TO_CLIENT = new Set([
  "content-length",
  "content-encoding",
  "set-cookie",
  "set-cookie2",
  "x-request-id",
]);

/** Headers to send to the client from an origin response. */
export function downstreamHeaders(origin: Headers): Headers {
  const out = new Headers();
  origin.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name) && !NOT_TO_CLIENT.has(name) && !name.startsWith("x-canary-"))
      out.set(name, value);
  });
  return out;
}
