/**
 * The dashboard's pure parts: the page and its inline script (parses, no
 * external assets, values escaped), the signed session (round trip,
 * tampering, expiry, CSRF), and the series math over grouped rollup rows.
 */
import { describe, expect, it } from "vitest";
import {
  checkSession,
  createSession,
  csrfToken,
  SESSION_COOKIE,
  sessionCookie,
  verifySession,
} from "../../worker/admin/session";
import { dashboardPage, loginPage } from "../../worker/dashboard/page";
import { DASHBOARD_SCRIPT } from "../../worker/dashboard/script.gen";
import type { BinRow, SumRow } from "../../worker/dashboard/series";
import { bucketMinutes, buildSeries, MAX_POINTS, seriesSpec } from "../../worker/dashboard/series";

const SECRET = "unit-admin-token-0123456789";
const NOW = Date.UTC(2026, 10, 27, 10, 0);
const MIN = 60_000;

describe("page", () => {
  it("has a script that parses and loads nothing from elsewhere", () => {
    expect(() => new Function(DASHBOARD_SCRIPT)).not.toThrow();
    const html = dashboardPage({ base: "/admin", csrf: "abc", actor: "alice", nonce: "n0" });
    expect(html).not.toMatch(/\b(src|href)="(https?:)?\/\//);
    expect(html).toContain('<script nonce="n0">');
    expect(html).toContain('<meta name="llm-canary-csrf" content="abc" />');
  });

  it("escapes what it embeds", () => {
    const attr = dashboardPage({ base: `/a"><x href='&'`, csrf: "", actor: "a", nonce: "n" });
    expect(attr).toContain('content="/a&quot;&gt;&lt;x href=&#39;&amp;&#39;"');
    const html = dashboardPage({ base: "/admin", csrf: "", actor: "<b>eve</b>", nonce: "n" });
    expect(html).toContain("signed in as &lt;b&gt;eve&lt;/b&gt;");
    expect(loginPage({ base: "/admin", nonce: "n", error: "<img>" })).toContain("&lt;img&gt;");
  });
});

describe("session", () => {
  it("round-trips and expires", async () => {
    const s = await createSession(SECRET, "alice", NOW);
    expect(s.value).not.toContain(SECRET);
    expect(await verifySession(SECRET, s.value, NOW + MIN)).toMatchObject({ actor: "alice" });
    expect(await verifySession(SECRET, s.value, s.claims.exp)).toBeNull();
    expect(await verifySession("another-token-0123456789", s.value, NOW)).toBeNull();
  });

  it("refuses tampered values", async () => {
    const s = await createSession(SECRET, "alice", NOW);
    const [payload, sig] = s.value.split(".") as [string, string];
    const other = await createSession(SECRET, "mallory", NOW);
    for (const bad of [
      `${other.value.split(".")[0]}.${sig}`,
      `${payload}.${other.value.split(".")[1]}`,
      `${payload}.${sig}.x`,
      `${payload}`,
      `${payload}.!!!`,
      "",
    ])
      expect(await verifySession(SECRET, bad, NOW), bad).toBeNull();
  });

  it("derives a CSRF value per session and checks it on writes only", async () => {
    const s = await createSession(SECRET, null, NOW);
    expect(s.csrf).toBe(await csrfToken(SECRET, s.claims.sid));
    const other = await createSession(SECRET, null, NOW);
    expect(other.csrf).not.toBe(s.csrf);
    const req = (method: string, csrf?: string) =>
      new Request("https://edge.example/admin/config", {
        method,
        headers: {
          cookie: `a=1; ${SESSION_COOKIE}=${s.value}`,
          ...(csrf ? { "x-llm-canary-csrf": csrf } : {}),
        },
      });
    expect((await checkSession(req("GET"), SECRET, NOW)).status).toBe("ok");
    expect((await checkSession(req("POST"), SECRET, NOW)).status).toBe("csrf_failed");
    expect((await checkSession(req("POST", other.csrf), SECRET, NOW)).status).toBe("csrf_failed");
    expect((await checkSession(req("POST", s.csrf), SECRET, NOW)).status).toBe("ok");
    expect((await checkSession(req("GET"), "another-token-0123456789", NOW)).status).toBe(
      "invalid",
    );
    const none = new Request("https://edge.example/admin/config");
    expect((await checkSession(none, SECRET, NOW)).status).toBe("absent");
  });

  it("builds cookies: HttpOnly, SameSite=Strict, Secure except on loopback http", () => {
    const secure = sessionCookie("v", new URL("https://edge.example/admin/session"), "/admin");
    expect(secure).toBe(
      `${SESSION_COOKIE}=v; Max-Age=28800; Path=/admin; HttpOnly; Secure; SameSite=Strict`,
    );
    for (const local of ["http://127.0.0.1:8787/", "http://localhost:8787/"])
      expect(sessionCookie("v", new URL(local), "/admin")).not.toContain("Secure");
    expect(sessionCookie("v", new URL("http://edge.example/"), "/admin")).toContain("Secure");
    expect(sessionCookie(null, new URL("https://e.example/"), "/admin")).toContain("Max-Age=0");
  });
});

describe("series", () => {
  it("names what each series reads", () => {
    expect(seriesSpec("latency_p95")).toMatchObject({
      source: "latency_ms",
      kind: "quantile",
      q: 0.95,
    });
    expect(seriesSpec("ttft_p50")).toMatchObject({ source: "ttft_ms", q: 0.5 });
    expect(seriesSpec("error_rate")).toMatchObject({ source: "error", kind: "rate" });
    expect(seriesSpec("requests")).toMatchObject({ kind: "count" });
    expect(seriesSpec("toxicity")).toMatchObject({ source: "toxicity", kind: "mean" });
  });

  it("widens buckets to stay within the point budget", () => {
    expect(bucketMinutes(NOW - 60 * MIN, NOW)).toBe(1);
    expect(bucketMinutes(NOW - MAX_POINTS * MIN, NOW)).toBe(1);
    expect(bucketMinutes(NOW - (MAX_POINTS + 1) * MIN, NOW)).toBe(2);
    expect(bucketMinutes(NOW - 7 * 1440 * MIN, NOW)).toBe(Math.ceil((7 * 1440) / MAX_POINTS));
  });

  it("turns grouped rows into per-variant points", () => {
    const b = NOW / MIN;
    const sums: SumRow[] = [
      { bucket: b + 1, variant: "canary", metric: "error", n: 10, sum: 2 },
      { bucket: b, variant: "canary", metric: "error", n: 4, sum: 1 },
      { bucket: b, variant: "stable", metric: "requests", n: 8, sum: 8 },
      { bucket: b, variant: "canary", metric: "relevance", n: 2, sum: 7 },
      { bucket: b, variant: "canary", metric: "eval_missing_judge", n: 2, sum: 0 },
      { bucket: b, variant: "canary", metric: "failover", n: 2, sum: 0 },
    ];
    const bins: BinRow[] = [
      { bucket: b, variant: "stable", metric: "latency_ms", bin: 100, count: 3 },
      { bucket: b, variant: "stable", metric: "latency_ms", bin: 300, count: 1 },
    ];
    const out = buildSeries(sums, bins, ["requests", "error_rate", "latency_p50"], MIN, true);
    expect(out.map((s) => s.metric)).toEqual([
      "requests",
      "error_rate",
      "latency_p50",
      "relevance",
    ]);
    expect(out[0]!.stable).toEqual([{ t: NOW, v: 8, n: 8 }]);
    expect(out[1]!.canary).toEqual([
      { t: NOW, v: 0.25, n: 4 },
      { t: NOW + MIN, v: 0.2, n: 10 },
    ]);
    expect(out[2]!.stable).toHaveLength(1);
    expect(out[2]!.stable[0]!.n).toBe(4);
    expect(out[2]!.canary).toEqual([]);
    expect(out[3]!.canary).toEqual([{ t: NOW, v: 3.5, n: 2 }]);
    expect(buildSeries(sums, bins, ["requests"], MIN, false)).toHaveLength(1);
  });
});
