/**
 * The dashboard's sign-in and session inside workerd: the login form trades
 * the admin token for a signed cookie (never the token), the admin auth
 * accepts that cookie for reads and, with the page's CSRF header, for
 * writes; absent, garbage, forged, foreign-key and expired cookies are
 * refused. Also `GET /admin/series` over real rollups.
 */
import { env, SELF } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { createSession, csrfToken, SESSION_COOKIE } from "../../worker/admin/session";
import { resetConfigSource } from "../../worker/config/source";
import { adminFetch, adminJson, EDGE, seedConfig } from "../fixtures/admin";
import { ingest, resetStorage, rolloutConfig, versions } from "../fixtures/analyzer";
import { MIN, T0 } from "../fixtures/clock";
import { makeOutcome } from "../fixtures/outcome";

beforeEach(async () => {
  await resetStorage();
  resetConfigSource();
});

function signIn(
  form: Record<string, string>,
  headers: Record<string, string> = {},
  base = EDGE,
): Promise<Response> {
  return SELF.fetch(`${base}/admin/session`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form).toString(),
    redirect: "manual",
  });
}

/** The cookie value of a successful sign-in. */
async function session(actor = "alice"): Promise<string> {
  const res = await signIn({ token: env.ADMIN_TOKEN!, actor });
  expect(res.status).toBe(303);
  const m = new RegExp(`^${SESSION_COOKIE}=([^;]+)`).exec(res.headers.get("set-cookie") ?? "");
  return m![1]!;
}

function withCookie(value: string, extra: Record<string, string> = {}) {
  return { cookie: `${SESSION_COOKIE}=${value}`, ...extra };
}

interface ErrorBody {
  error: { code: string; type: string };
}

describe("sign-in", () => {
  it("trades the token for an HttpOnly, SameSite=Strict, Secure session cookie", async () => {
    const res = await signIn({ token: env.ADMIN_TOKEN!, actor: "alice" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/admin/dashboard");
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[\\w-]+\\.[\\w-]+;`));
    expect(cookie).toContain("; HttpOnly");
    expect(cookie).toContain("; SameSite=Strict");
    expect(cookie).toContain("; Secure");
    expect(cookie).toContain("; Path=/admin;");
    expect(cookie).not.toContain(env.ADMIN_TOKEN!);
  });

  it("leaves Secure off on plain-http loopback only", async () => {
    const res = await signIn({ token: env.ADMIN_TOKEN! }, {}, "http://127.0.0.1:8787");
    expect(res.status).toBe(303);
    expect(res.headers.get("set-cookie")).not.toContain("Secure");
  });

  it.each([
    ["a wrong token", { token: "wrong-token-0123456789abcdef" }],
    ["an empty token", { token: "" }],
    ["no token", {}],
    ["the token with a suffix", { token: `${env.ADMIN_TOKEN!}x` }],
  ])("refuses %s with the form again, and no cookie", async (_, form) => {
    const res = await signIn(form as Record<string, string>);
    const html = await res.text();
    expect(res.status).toBe(401);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(html).toContain('id="login-form"');
    expect(html).toContain("That token is not valid.");
  });

  it("refuses a sign-in posted from another origin", async () => {
    const res = await signIn({ token: env.ADMIN_TOKEN! }, { origin: "https://evil.example" });
    expect(res.status).toBe(403);
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  it("signs out by expiring the cookie", async () => {
    const res = await SELF.fetch(`${EDGE}/admin/session/logout`, {
      method: "POST",
      redirect: "manual",
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("set-cookie")).toMatch(new RegExp(`^${SESSION_COOKIE}=;.*Max-Age=0`));
  });
});

describe("the session cookie as admin credentials", () => {
  it("reads the admin API", async () => {
    await seedConfig();
    const res = await adminFetch("/admin/config", {
      token: null,
      headers: withCookie(await session()),
    });
    expect(res.status).toBe(200);
  });

  it.each([
    ["absent", null, "missing_credentials"],
    ["garbage", "not-a-session", "invalid_credentials"],
    ["empty-signature", "eyJ2IjoxfQ.", "invalid_credentials"],
  ])("refuses an %s cookie", async (_, value, code) => {
    await seedConfig();
    const res = await adminFetch("/admin/config", {
      token: null,
      headers: value === null ? { cookie: "other=1" } : withCookie(value),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as ErrorBody).error.code).toBe(code);
  });

  it("refuses a forged cookie: changed claims, a foreign key, or expired", async () => {
    await seedConfig();
    const good = await session("alice");
    const [payload, sig] = good.split(".") as [string, string];
    const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as {
      exp: number;
    };
    const longer = btoa(JSON.stringify({ ...claims, exp: claims.exp + 365 * 86_400_000 }))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
    const foreign = await createSession("some-other-admin-token-0000", "mallory", Date.now());
    const expired = await createSession(env.ADMIN_TOKEN!, "alice", Date.now() - 9 * 3_600_000);
    const flipped = `${payload}.${sig.slice(0, -2)}${sig.endsWith("AA") ? "AB" : "AA"}`;
    for (const [what, value] of [
      ["changed claims", `${longer}.${sig}`],
      ["flipped signature", flipped],
      ["foreign key", foreign.value],
      ["expired", expired.value],
    ] as const) {
      const res = await adminFetch("/admin/config", { token: null, headers: withCookie(value) });
      expect(res.status, what).toBe(401);
      expect(((await res.json()) as ErrorBody).error.code, what).toBe("invalid_credentials");
    }
  });

  it("ignores the cookie when a (wrong) bearer token is sent", async () => {
    await seedConfig();
    const res = await adminFetch("/admin/config", {
      token: "wrong-token-0123456789abcdef",
      headers: withCookie(await session()),
    });
    expect(res.status).toBe(401);
  });

  it("writes only with the session's CSRF header, recording the signed-in actor", async () => {
    await seedConfig(rolloutConfig());
    const value = await session("alice@example.com");
    const sid = (
      JSON.parse(atob(value.split(".")[0]!.replace(/-/g, "+").replace(/_/g, "/"))) as {
        sid: string;
      }
    ).sid;
    const other = await createSession(env.ADMIN_TOKEN!, "alice", Date.now());
    for (const [what, csrf] of [
      ["no CSRF header", null],
      ["another session's CSRF", other.csrf],
      ["a made-up CSRF", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
    ] as const) {
      const res = await adminFetch("/admin/routes/chat/pause", {
        token: null,
        headers: withCookie(value, csrf === null ? {} : { "x-llm-canary-csrf": csrf }),
        body: { reason: "from the dashboard" },
      });
      expect(res.status, what).toBe(403);
      expect(((await res.json()) as ErrorBody).error.code, what).toBe("csrf_failed");
    }
    expect((await versions()).map((v) => v.source)).toEqual(["seed"]);

    const res = await adminFetch("/admin/routes/chat/pause", {
      token: null,
      headers: withCookie(value, { "x-llm-canary-csrf": await csrfToken(env.ADMIN_TOKEN!, sid) }),
      body: { reason: "from the dashboard" },
    });
    expect(res.status).toBe(200);
    const last = (await versions()).at(-1)!;
    expect(last).toMatchObject({ actor: "alice@example.com", reason: "from the dashboard" });
  });
});

describe("GET /admin/dashboard", () => {
  it("answers a browser without credentials with the sign-in form only", async () => {
    await seedConfig(rolloutConfig());
    const res = await adminFetch("/admin/dashboard", { token: null });
    const html = await res.text();
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(html).toContain('action="/admin/session"');
    expect(html).not.toContain("canary-v2");
  });

  it("serves the page with the session's CSRF value and a nonce-based CSP", async () => {
    const value = await session("alice");
    const res = await adminFetch("/admin/dashboard", { token: null, headers: withCookie(value) });
    const html = await res.text();
    expect(res.status).toBe(200);
    const sid = (
      JSON.parse(atob(value.split(".")[0]!.replace(/-/g, "+").replace(/_/g, "/"))) as {
        sid: string;
      }
    ).sid;
    const csrf = await csrfToken(env.ADMIN_TOKEN!, sid);
    expect(html).toContain(`<meta name="llm-canary-csrf" content="${csrf}" />`);
    expect(html).toContain("signed in as alice");
    const csp = res.headers.get("content-security-policy")!;
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)![1]!;
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(html).not.toContain(env.ADMIN_TOKEN!);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet/);
  });

  it("serves the page to a bearer token too, with no CSRF value", async () => {
    const res = await adminFetch("/admin/dashboard");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<meta name="llm-canary-csrf" content="" />');
  });
});

describe("GET /admin/series", () => {
  function events() {
    return Array.from({ length: 40 }, (_, i) => {
      const canary = i % 2 === 0;
      const e = makeOutcome({
        requestId: `s-${i}`,
        ts: T0 + (i < 20 ? 0 : MIN) + i * 100,
        variant: canary ? "canary" : "stable",
        releaseId: canary ? "canary-v2" : "stable-v1",
        rolloutId: "canary-v2",
        errorClass: canary && i % 4 === 0 ? "http_5xx" : null,
        status: canary && i % 4 === 0 ? 502 : 200,
        latencyMs: canary ? 200 : 100,
      });
      e.metrics.relevance = canary ? 3 : 4;
      e.metrics.eval_missing_judge = 0;
      return e;
    });
  }

  it("returns per-minute stable and canary points, with observed quality metrics", async () => {
    await seedConfig(rolloutConfig());
    await ingest(events());
    const { status, body } = await adminJson<{
      bucketMs: number;
      series: Array<{
        metric: string;
        unit: string;
        stable: Array<{ t: number; v: number; n: number }>;
        canary: Array<{ t: number; v: number; n: number }>;
      }>;
    }>(`/admin/series?route=chat&from=${T0 - MIN}&to=${T0 + 5 * MIN}`);
    expect(status).toBe(200);
    expect(body.bucketMs).toBe(MIN);
    const s = (m: string) => body.series.find((x) => x.metric === m)!;
    expect(body.series.map((x) => x.metric)).toEqual([
      "requests",
      "error_rate",
      "latency_p50",
      "latency_p95",
      "ttft_p50",
      "ttft_p95",
      "relevance",
    ]);
    expect(s("requests").stable).toEqual([
      { t: T0, v: 10, n: 10 },
      { t: T0 + MIN, v: 10, n: 10 },
    ]);
    expect(s("error_rate").canary.map((p) => p.v)).toEqual([0.5, 0.5]);
    expect(s("error_rate").stable.map((p) => p.v)).toEqual([0, 0]);
    for (const p of s("latency_p95").canary) expect(Math.abs(p.v / 200 - 1)).toBeLessThan(0.01);
    expect(s("ttft_p50").stable).toEqual([]);
    expect(s("relevance").canary.map((p) => p.v)).toEqual([3, 3]);
  });

  it("widens buckets so a long window stays within 90 points", async () => {
    await seedConfig(rolloutConfig());
    await ingest(events());
    const { body } = await adminJson<{
      bucketMs: number;
      series: Array<{ metric: string; stable: Array<{ t: number; v: number }> }>;
    }>(`/admin/series?route=chat&metric=requests&from=${T0 - 2 * 86_400_000}&to=${T0 + MIN}`);
    expect(body.bucketMs).toBe(33 * MIN);
    expect(body.series).toHaveLength(1);
    expect(body.series[0]!.stable.reduce((n, p) => n + p.v, 0)).toBe(20);
  });

  it("validates the query", async () => {
    await seedConfig(rolloutConfig());
    const cases: Array<[string, number, string]> = [
      ["/admin/series", 422, "route"],
      ["/admin/series?route=nope", 404, "route_not_found"],
      [`/admin/series?route=chat&from=${T0}&to=${T0}`, 422, "from: must be before to"],
      [`/admin/series?route=chat&from=${T0 - 8 * 86_400_000}&to=${T0}`, 422, "7 days"],
      ["/admin/series?route=chat&metric=Bad-Name", 422, "metric"],
    ];
    for (const [path, status, text] of cases) {
      const res = await adminFetch(path);
      expect(res.status, path).toBe(status);
      expect(await res.text(), path).toContain(text);
    }
    expect((await adminFetch("/admin/series?route=chat", { token: null })).status).toBe(401);
  });
});
