/**
 * The dashboard's HTTP surface, mounted inside the admin router before its
 * auth middleware (these answer browsers without credentials):
 *
 * - `GET /admin/dashboard`: the page when the admin auth accepts the request
 *   (session cookie or Cloudflare Access); otherwise the login form, 401.
 * - `POST /admin/session`: the login form's target; the admin token in, a
 *   signed session cookie out (303 back to the dashboard). Same-origin only.
 * - `POST /admin/session/logout`: deletes the cookie.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { getCookie } from "hono/cookie";
import { ADMIN_API, on } from "../admin/api";
import type { AdminEnv } from "../admin/context";
import type { adminAuth } from "../admin/auth";
import { MIN_TOKEN_LENGTH, sanitizeActor, tokensEqual } from "../admin/auth";
import {
  createSession,
  csrfToken,
  SESSION_COOKIE,
  sessionCookie,
  verifySession,
} from "../admin/session";
import { ApiError } from "../errors";
import { dashboardPage, loginPage, pageHeaders } from "./page";

const MAX_LOGIN_BYTES = 4096;

function nonce(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
}

/** Where the admin router is mounted (`/admin`), from this request's path. */
function basePath(c: Context, suffix: string): string {
  const path = c.req.path;
  return path.endsWith(suffix) ? path.slice(0, -suffix.length) || "/" : "/admin";
}

function login(c: Context<AdminEnv>, base: string, status: 401 | 403 | 503, error?: string) {
  const n = nonce();
  return c.body(loginPage({ base, nonce: n, error }), status, pageHeaders(n));
}

/** The usable admin token, or null when token sign-in is not configured. */
function adminToken(c: Context<AdminEnv>): string | null {
  const token = c.env.ADMIN_TOKEN ?? "";
  return token.length >= MIN_TOKEN_LENGTH ? token : null;
}

function sameOrigin(c: Context): boolean {
  const origin = c.req.header("origin");
  return origin === undefined || origin === new URL(c.req.url).origin;
}

async function readLogin(c: Context<AdminEnv>): Promise<{ token: string; actor: string | null }> {
  const length = Number(c.req.header("content-length") ?? "0");
  if (length > MAX_LOGIN_BYTES)
    throw new ApiError(
      413,
      "invalid_request_error",
      "body_too_large",
      "The login form is too large.",
    );
  const text = new TextDecoder().decode(await c.req.arrayBuffer());
  if (text.length > MAX_LOGIN_BYTES)
    throw new ApiError(
      413,
      "invalid_request_error",
      "body_too_large",
      "The login form is too large.",
    );
  const form = new URLSearchParams(text);
  return { token: form.get("token") ?? "", actor: sanitizeActor(form.get("actor")) };
}

/**
 * @example
 * router.route("/", dashboardRoutes(adminAuth()));
 */
export function dashboardRoutes(auth: ReturnType<typeof adminAuth>): Hono<AdminEnv> {
  const routes = new Hono<AdminEnv>();

  routes.use(
    "/dashboard",
    async (c, next) => {
      await next();
      // Refused by the admin auth: a browser gets the sign-in form instead of JSON.
      if (c.res.status === 401) {
        c.res = undefined;
        c.res = login(c, basePath(c, "/dashboard"), 401);
      }
    },
    auth,
  );

  on(routes, "/admin", ADMIN_API.dashboard, async (c) => {
    const base = basePath(c, "/dashboard");
    const token = adminToken(c);
    const cookie = getCookie(c, SESSION_COOKIE);
    const claims = token && cookie ? await verifySession(token, cookie, Date.now()) : null;
    const csrf = token && claims ? await csrfToken(token, claims.sid) : "";
    const n = nonce();
    return c.body(dashboardPage({ base, csrf, actor: c.var.actor, nonce: n }), 200, pageHeaders(n));
  });

  on(routes, "/admin", ADMIN_API.signIn, async (c) => {
    const base = basePath(c, "/session");
    if (!sameOrigin(c)) return login(c, base, 403, "Sign in from this site's own form.");
    const token = adminToken(c);
    if (!token) return login(c, base, 503, "Token sign-in is disabled: ADMIN_TOKEN is not set.");
    const given = await readLogin(c);
    if (given.token === "" || !(await tokensEqual(given.token, token))) {
      console.warn(JSON.stringify({ msg: "dashboard sign-in refused" }));
      return login(c, base, 401, "That token is not valid.");
    }
    const session = await createSession(token, given.actor, Date.now());
    const url = new URL(c.req.url);
    return c.body(null, 303, {
      location: `${base}/dashboard`,
      "set-cookie": sessionCookie(session.value, url, base),
      "cache-control": "no-store",
    });
  });

  on(routes, "/admin", ADMIN_API.signOut, (c) => {
    const base = basePath(c, "/session/logout");
    return c.body(null, 303, {
      location: `${base}/dashboard`,
      "set-cookie": sessionCookie(null, new URL(c.req.url), base),
      "cache-control": "no-store",
    });
  });

  return routes;
}
