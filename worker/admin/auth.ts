/**
 * Authentication for `/admin/*` and `/metrics`: a bearer token (the Worker
 * secret `ADMIN_TOKEN`) or, when `ACCESS_TEAM_DOMAIN` and `ACCESS_AUD` are
 * set, a Cloudflare Access JWT in `Cf-Access-Jwt-Assertion`.
 *
 * Closed by default: with neither configured every request gets 503
 * `admin_disabled`. Tokens are compared as SHA-256 digests, byte by byte
 * without early exit, so neither the content nor the length of the secret
 * leaks through timing. A refused request learns only that it was refused;
 * the reason goes to the log, and no credential is ever echoed.
 *
 * Browsers (the dashboard) may instead present the signed session cookie of
 * `session.ts`, only when they send neither a bearer token nor an Access
 * JWT; state-changing requests then also need the session's CSRF header.
 */
import type { Context, MiddlewareHandler } from "hono";
import { errorBody } from "../errors";
import type { AccessClaims, JwksSource, KeyLookup } from "./access-jwt";
import { fetchJwks, jwksKeyCache, verifyAccessJwt } from "./access-jwt";
import type { AdminAuthBindings } from "./context";
import { checkSession } from "./session";

/** Shorter tokens are treated as a misconfiguration (the API stays disabled). */
export const MIN_TOKEN_LENGTH = 16;
const ACTOR_MAX = 64;

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/**
 * Constant-time token equality: both sides are hashed first, so the compare
 * always walks 32 bytes whatever the inputs' lengths.
 *
 * @example
 * await tokensEqual("given", env.ADMIN_TOKEN); // false
 */
export async function tokensEqual(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([sha256(given), sha256(expected)]);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  const m = /^Bearer[ \t]+(.*)$/i.exec(header ?? "");
  return m ? m[1]!.trim() : null;
}

/**
 * An audit actor from untrusted text: printable ASCII only, whitespace
 * collapsed, at most 64 characters; null when nothing is left.
 *
 * @example
 * sanitizeActor(" alice\u0000@example.com "); // "alice@example.com"
 */
export function sanitizeActor(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const clean = raw
    .replace(/[^\x20-\x7e]/g, "")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, ACTOR_MAX)
    .trim();
  return clean.length > 0 ? clean : null;
}

type AuthMode =
  | { token: string | null; access: { teamDomain: string; audience: string } | null }
  | { disabled: string };

function authMode(env: AdminAuthBindings): AuthMode {
  const token = env.ADMIN_TOKEN ?? "";
  const team = env.ACCESS_TEAM_DOMAIN?.trim() ?? "";
  const aud = env.ACCESS_AUD?.trim() ?? "";
  const problems: string[] = [];
  if (token !== "" && token.length < MIN_TOKEN_LENGTH)
    problems.push(`ADMIN_TOKEN is shorter than ${MIN_TOKEN_LENGTH} characters`);
  if ((team === "") !== (aud === ""))
    problems.push("ACCESS_TEAM_DOMAIN and ACCESS_AUD must be set together");
  if (problems.length > 0) return { disabled: problems.join("; ") };
  const access = team !== "" ? { teamDomain: team, audience: aud } : null;
  const usable = token !== "" ? token : null;
  if (!usable && !access) return { disabled: "neither ADMIN_TOKEN nor Cloudflare Access is set" };
  return { token: usable, access };
}

export interface AdminAuthOptions {
  /** Where Access keys come from (default: `fetch` of the team's certs URL). */
  jwks?: JwksSource;
  /** Clock for JWT expiry (default `Date.now`). */
  now?: () => number;
}

interface AuthEnv {
  Bindings: AdminAuthBindings;
  Variables: { actor: string };
}

function actorFor(c: Context<AuthEnv>, claims: AccessClaims | null): string {
  return (
    sanitizeActor(claims?.email) ??
    sanitizeActor(c.req.header("x-actor")) ??
    (claims ? (sanitizeActor(claims.commonName) ?? "access") : "admin-token")
  );
}

function refuse(c: Context<AuthEnv>, code: string, message: string) {
  return c.json(errorBody("authentication_error", code, message), 401, {
    "www-authenticate": 'Bearer realm="llm-canary-admin"',
  });
}

/**
 * Middleware factory: authenticates the request and sets `actor`.
 *
 * @example
 * const requireAdmin = adminAuth();
 * app.get("/metrics", requireAdmin, handler);
 */
export function adminAuth(opts: AdminAuthOptions = {}): MiddlewareHandler<AuthEnv> {
  if (opts.jwks !== undefined && typeof opts.jwks !== "function")
    throw new TypeError("adminAuth: jwks must be a function returning a JWKS document");
  const keys: KeyLookup = jwksKeyCache(opts.jwks ?? fetchJwks());
  const now = opts.now ?? Date.now;

  return async (c, next) => {
    const mode = authMode(c.env);
    if ("disabled" in mode) {
      console.error(JSON.stringify({ msg: "admin API disabled", why: mode.disabled }));
      return c.json(
        errorBody(
          "server_error",
          "admin_disabled",
          "The admin API is disabled: no admin credentials are configured.",
        ),
        503,
      );
    }
    const assertion = c.req.header("cf-access-jwt-assertion");
    const token = bearerToken(c.req.header("authorization"));
    if (mode.access && assertion) {
      const r = await verifyAccessJwt(assertion, mode.access, keys, now());
      if (r.ok) {
        c.set("actor", actorFor(c, r.claims));
        return next();
      }
      console.warn(JSON.stringify({ msg: "admin access token refused", reason: r.reason }));
    }
    if (mode.token && token !== null && token !== "" && (await tokensEqual(token, mode.token))) {
      c.set("actor", actorFor(c, null));
      return next();
    }
    const session =
      mode.token && token === null && !assertion
        ? await checkSession(c.req.raw, mode.token, now())
        : null;
    if (session?.status === "ok") {
      c.set("actor", sanitizeActor(session.claims.actor) ?? "dashboard");
      return next();
    }
    if (session?.status === "csrf_failed")
      return c.json(
        errorBody(
          "authentication_error",
          "csrf_failed",
          "This change needs the dashboard's x-llm-canary-csrf header.",
        ),
        403,
      );
    if (token === null && !(mode.access && assertion) && session?.status !== "invalid") {
      return refuse(c, "missing_credentials", "Admin credentials are required.");
    }
    return refuse(c, "invalid_credentials", "The admin credentials are not valid.");
  };
}
