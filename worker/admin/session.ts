/**
 * Browser sessions for the dashboard. A browser cannot send a bearer header
 * when it navigates, so the dashboard's login form POSTs the admin token
 * once to `/admin/session`, which answers with a cookie holding a signed
 * session, never the token:
 *
 *   `<base64url(JSON { sid, actor, exp })>.<base64url(HMAC-SHA256)>`
 *
 * The HMAC key is derived from `ADMIN_TOKEN`, so rotating the token ends
 * every session, and nobody without the token can mint one. The cookie is
 * HttpOnly, SameSite=Strict, scoped to the admin path, and Secure except on
 * plain-http loopback (`wrangler dev`).
 *
 * State-changing requests authenticated by the cookie must also carry the
 * header `x-llm-canary-csrf` with a value derived from the session id (the
 * dashboard embeds it in the page). A cross-site page can neither read that
 * value nor send custom headers without a CORS preflight the edge never
 * grants.
 */
import { parse, serialize } from "hono/utils/cookie";
import * as z from "zod";
import { b64url, fromB64url } from "../base64url";

export const SESSION_COOKIE = "llm_canary_session";
export const CSRF_HEADER = "x-llm-canary-csrf";
export const SESSION_TTL_MS = 8 * 60 * 60_000;

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

const ClaimsSchema = z.strictObject({
  v: z.literal(1),
  sid: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
  actor: z.string().max(64).nullable(),
  exp: z.int().positive(),
});
export type SessionClaims = z.infer<typeof ClaimsSchema>;

const encoder = new TextEncoder();

/** The signing key: HMAC-SHA256 keyed by a hash of the admin token and a purpose label. */
async function sessionKey(secret: string): Promise<CryptoKey> {
  const material = await crypto.subtle.digest(
    "SHA-256",
    encoder.encode(`llm-canary dashboard session v1\u0000${secret}`),
  );
  return crypto.subtle.importKey("raw", material, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
}

async function mac(secret: string, label: string, data: string): Promise<Uint8Array> {
  const key = await sessionKey(secret);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(`${label}.${data}`)));
}

/**
 * A new session for `actor`, valid for `SESSION_TTL_MS` from `now`.
 *
 * @example
 * const { value, csrf } = await createSession(env.ADMIN_TOKEN, "alice", Date.now());
 */
export async function createSession(
  secret: string,
  actor: string | null,
  now: number,
  ttlMs = SESSION_TTL_MS,
): Promise<{ value: string; csrf: string; claims: SessionClaims }> {
  const claims: SessionClaims = {
    v: 1,
    sid: b64url(crypto.getRandomValues(new Uint8Array(16))),
    actor,
    exp: now + ttlMs,
  };
  const payload = b64url(encoder.encode(JSON.stringify(claims)));
  const value = `${payload}.${b64url(await mac(secret, "session", payload))}`;
  return { value, csrf: await csrfToken(secret, claims.sid), claims };
}

/** The session in a cookie value, or null when it is malformed, forged or expired. */
export async function verifySession(
  secret: string,
  value: string,
  now: number,
): Promise<SessionClaims | null> {
  const [payload, sig, extra] = value.split(".");
  if (!payload || !sig || extra !== undefined || value.length > 1024) return null;
  const given = fromB64url(sig);
  const body = fromB64url(payload);
  if (!given || !body) return null;
  const key = await sessionKey(secret);
  // `verify` compares in constant time.
  const ok = await crypto.subtle.verify("HMAC", key, given, encoder.encode(`session.${payload}`));
  if (!ok) return null;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return null;
  }
  const claims = ClaimsSchema.safeParse(json);
  if (!claims.success || claims.data.exp <= now) return null;
  return claims.data;
}

/** The CSRF value of a session (what the dashboard sends in `x-llm-canary-csrf`). */
export async function csrfToken(secret: string, sid: string): Promise<string> {
  return b64url(await mac(secret, "csrf", sid));
}

async function csrfMatches(secret: string, sid: string, given: string | null): Promise<boolean> {
  const bytes = given ? fromB64url(given) : null;
  if (!bytes) return false;
  const key = await sessionKey(secret);
  return crypto.subtle.verify("HMAC", key, bytes, encoder.encode(`csrf.${sid}`));
}

export type SessionCheck =
  | { status: "absent" }
  /** A cookie was sent but is malformed, forged, expired or signed with another token. */
  | { status: "invalid" }
  /** A valid session on a state-changing request without the right CSRF header. */
  | { status: "csrf_failed" }
  | { status: "ok"; claims: SessionClaims };

/**
 * Checks the session cookie of a request (and the CSRF header unless the
 * method is GET, HEAD or OPTIONS).
 */
export async function checkSession(
  req: Request,
  secret: string,
  now: number,
): Promise<SessionCheck> {
  const value = parse(req.headers.get("cookie") ?? "", SESSION_COOKIE)[SESSION_COOKIE];
  if (value === undefined || value === "") return { status: "absent" };
  const claims = await verifySession(secret, value, now);
  if (!claims) return { status: "invalid" };
  if (
    !SAFE_METHODS.has(req.method) &&
    !(await csrfMatches(secret, claims.sid, req.headers.get(CSRF_HEADER)))
  )
    return { status: "csrf_failed" };
  return { status: "ok", claims };
}

/** Plain http on a loopback host: `wrangler dev`, where a Secure cookie would not stick everywhere. */
export function isLocalHttp(url: URL): boolean {
  return url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
}

/**
 * The `Set-Cookie` header for a session (or, with `value` null, one that
 * deletes it).
 *
 * @example
 * sessionCookie(v, new URL("https://edge.example/admin/session"), "/admin");
 * // "llm_canary_session=…; Max-Age=28800; Path=/admin; HttpOnly; Secure; SameSite=Strict"
 */
export function sessionCookie(value: string | null, url: URL, path: string): string {
  return serialize(SESSION_COOKIE, value ?? "", {
    path,
    maxAge: value === null ? 0 : Math.floor(SESSION_TTL_MS / 1000),
    httpOnly: true,
    sameSite: "Strict",
    secure: !isLocalHttp(url),
  });
}
