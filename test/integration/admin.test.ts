import { env } from "cloudflare:test";
import { Hono } from "hono";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { app } from "../../worker/app";
import { ErrorResponseSchema } from "../../contracts/admin-api";
import { ADMIN_API } from "../../worker/admin/api";
import { openApiDocument } from "../../worker/admin/openapi";
import { createAdminRouter } from "../../worker/admin/router";
import { resetConfigSource } from "../../worker/config/source";
import { onError } from "../../worker/errors";
import type { AppEnv } from "../../worker/types";
import type { AccessFixture } from "../fixtures/access";
import { accessFixture, AUDIENCE, TEAM_DOMAIN, unsignedToken } from "../fixtures/access";
import { adminFetch, adminJson, EDGE, seedConfig } from "../fixtures/admin";
import {
  decisionRows,
  ingest,
  kvConfig,
  resetStorage,
  rolloutConfig,
  runCron,
  versions,
} from "../fixtures/analyzer";
import { MIN, T0 } from "../fixtures/clock";
import { putConfig } from "../fixtures/edge";
import { makeOutcome } from "../fixtures/outcome";

interface ErrorBody {
  error: {
    message: string;
    type: string;
    code: string;
    errors?: string[];
    currentVersion?: number;
  };
}
interface Route {
  id: string;
  weight: number;
  state: string;
  canary?: { id: string };
  stable: { id: string };
  segments: Array<{ name: string; weight: number }>;
  rollout?: { steps: number[]; stepIndex: number; stepStartedAt: string };
}
interface Config {
  version: number;
  settings: { failover: boolean };
  routes: Route[];
}

const GOOD = { reason: "test change" };

beforeEach(async () => {
  await resetStorage();
  resetConfigSource();
});

const ENDPOINTS: Array<[string, string]> = [
  ["GET", "/admin/config"],
  ["PUT", "/admin/config"],
  ["PATCH", "/admin/config"],
  ["POST", "/admin/routes/chat/weight"],
  ["POST", "/admin/routes/chat/pause"],
  ["POST", "/admin/routes/chat/resume"],
  ["POST", "/admin/routes/chat/promote"],
  ["POST", "/admin/routes/chat/rollback"],
  ["POST", "/admin/routes/chat/releases"],
  ["GET", "/admin/history"],
  ["GET", "/admin/decisions"],
  ["GET", "/admin/metrics"],
  ["GET", "/admin/openapi.json"],
  ["GET", "/admin"],
  ["GET", "/admin/no-such-endpoint"],
  ["GET", "/metrics"],
];

describe("authentication", () => {
  const token = env.ADMIN_TOKEN!;
  const refused: Array<[string, Record<string, string>]> = [
    ["no credentials", {}],
    ["a wrong token", { authorization: "Bearer wrong-token-0123456789abcdef" }],
    ["a longer token", { authorization: `Bearer ${token}x` }],
    ["a shorter token", { authorization: `Bearer ${token.slice(0, -1)}` }],
    ["an empty token", { authorization: "Bearer " }],
    ["a non-ASCII token", { authorization: `Bearer ${token.slice(0, -1)}\u00e9` }],
    ["the token in Basic auth", { authorization: `Basic ${btoa(`admin:${token}`)}` }],
    ["the token without a scheme", { authorization: token }],
    ["an Access JWT while Access is not configured", { "cf-access-jwt-assertion": "a.b.c" }],
  ];

  it.each(refused)("refuses %s on every endpoint, without echoing it", async (_, headers) => {
    await seedConfig();
    for (const [method, path] of ENDPOINTS) {
      const res = await adminFetch(path, {
        method,
        token: null,
        headers,
        body: method === "GET" ? undefined : { weight: 1, reason: "r" },
      });
      const text = await res.text();
      expect(res.status, `${method} ${path}`).toBe(401);
      const body = JSON.parse(text) as ErrorBody;
      expect(body.error.type).toBe("authentication_error");
      expect(body.error.code).toMatch(/^(missing|invalid)_credentials$/);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      for (const v of Object.values(headers)) if (v.length > 8) expect(text).not.toContain(v);
      expect(text).not.toContain(token);
    }
    // Nothing was written by any of them.
    expect((await versions()).map((v) => v.source)).toEqual(["seed"]);
  });

  it("accepts the token on every endpoint", async () => {
    await seedConfig();
    for (const [, path] of ENDPOINTS.filter(([m]) => m === "GET")) {
      const res = await adminFetch(path);
      await res.arrayBuffer();
      expect(res.status, path).not.toBe(401);
    }
  });

  it("is closed (503 admin_disabled) when no credential is configured", async () => {
    for (const secrets of [{ ADMIN_TOKEN: "" }, { ADMIN_TOKEN: "too-short" }]) {
      for (const path of ["/admin/config", "/metrics"]) {
        const res = await app.request(
          `${EDGE}${path}`,
          { headers: { authorization: `Bearer ${secrets.ADMIN_TOKEN}` } },
          { ...env, ...secrets },
        );
        expect(res.status).toBe(503);
        expect(((await res.json()) as ErrorBody).error.code).toBe("admin_disabled");
      }
    }
  });

  it("records a sanitized x-actor, and admin-token without one", async () => {
    await seedConfig();
    await adminJson("/admin/routes/chat/weight", {
      body: { weight: 3, ...GOOD },
      headers: { "x-actor": `  alice\t\u00e9@example.com ${"x".repeat(100)}` },
    });
    await adminJson("/admin/routes/chat/weight", { body: { weight: 4, ...GOOD } });
    const [, withActor, without] = await versions();
    // Tab and non-ASCII dropped, whitespace collapsed, cut at 64 characters.
    expect(withActor!.actor).toBe(`alice@example.com ${"x".repeat(64 - 18)}`);
    expect(withActor!.actor).toHaveLength(64);
    expect(without!.actor).toBe("admin-token");
  });
});

describe("Cloudflare Access", () => {
  let fx: AccessFixture;
  const accessEnv = () => ({
    ...env,
    ACCESS_TEAM_DOMAIN: TEAM_DOMAIN,
    ACCESS_AUD: AUDIENCE,
  });
  const accessApp = () => {
    const a = new Hono<AppEnv>();
    a.route("/admin", createAdminRouter({ jwks: fx.source }));
    a.onError(onError);
    return a;
  };
  const get = async (jwt: string, extra: Record<string, string> = {}) =>
    accessApp().request(
      `${EDGE}/admin/config`,
      { headers: { "cf-access-jwt-assertion": jwt, ...extra } },
      accessEnv(),
    );

  beforeAll(async () => {
    fx = await accessFixture();
  });

  it("accepts a valid token and records its email as the actor", async () => {
    await putConfig(rolloutConfig());
    const jwt = await fx.sign(fx.claims(Date.now()));
    expect((await get(jwt)).status).toBe(200);
    const res = await accessApp().request(
      `${EDGE}/admin/routes/chat/pause`,
      {
        method: "POST",
        headers: { "cf-access-jwt-assertion": jwt, "x-actor": "spoofed" },
        body: JSON.stringify({ reason: "incident 42" }),
      },
      accessEnv(),
    );
    expect(res.status).toBe(200);
    expect((await versions()).at(-1)).toMatchObject({
      actor: "ops@example.com",
      reason: "incident 42",
    });
    expect(fx.fetched.every((u) => u === `https://${TEAM_DOMAIN}/cdn-cgi/access/certs`)).toBe(true);
  });

  it("works with Access alone, without ADMIN_TOKEN", async () => {
    await putConfig(rolloutConfig());
    const res = await accessApp().request(
      `${EDGE}/admin/config`,
      { headers: { "cf-access-jwt-assertion": await fx.sign(fx.claims(Date.now())) } },
      { ...accessEnv(), ADMIN_TOKEN: "" },
    );
    expect(res.status).toBe(200);
  });

  it("refuses expired, wrong-audience, unsigned, unknown-kid and forged tokens", async () => {
    const now = Date.now();
    const bad = [
      await fx.sign(fx.claims(now, { exp: Math.floor(now / 1000) - 5 })),
      await fx.sign(fx.claims(now, { aud: ["some-other-app"] })),
      unsignedToken(fx.claims(now), fx.kid),
      await fx.sign(fx.claims(now), { header: { kid: "not-published" } }),
      await fx.sign(fx.claims(now), { key: fx.strangerKey }),
      await fx.sign(fx.claims(now, { iss: "https://other.cloudflareaccess.com" })),
      "not-a-jwt",
    ];
    for (const jwt of bad) {
      const res = await get(jwt);
      const body = (await res.json()) as ErrorBody;
      expect(res.status).toBe(401);
      expect(body.error).toMatchObject({
        type: "authentication_error",
        code: "invalid_credentials",
      });
      expect(JSON.stringify(body)).not.toContain(jwt.slice(0, 20));
    }
  });

  it("still accepts the admin token next to a refused Access token", async () => {
    await putConfig(rolloutConfig());
    const res = await get("not-a-jwt", { authorization: `Bearer ${env.ADMIN_TOKEN!}` });
    expect(res.status).toBe(200);
  });
});

describe("GET /admin/config", () => {
  it("records the KV document as version 1 and reports health", async () => {
    await putConfig(rolloutConfig());
    const { status, body, headers } = await adminJson<{
      version: number;
      config: Config;
      health: { status: string };
    }>("/admin/config");
    expect(status).toBe(200);
    expect(body.version).toBe(1);
    expect(body.config.routes[0]!.id).toBe("chat");
    expect(body.health).toEqual({ status: "ok", version: 1 });
    expect(headers.get("etag")).toBe('"1"');
    expect((await versions()).map((v) => v.source)).toEqual(["seed"]);
  });

  it("records a direct KV edit before answering", async () => {
    await seedConfig();
    const edited = await kvConfig();
    edited.routes[0]!.weight = 2;
    await putConfig(JSON.stringify(edited));
    const { body } = await adminJson<{ version: number; config: Config }>("/admin/config");
    expect(body.version).toBe(2);
    expect(body.config.routes[0]!.weight).toBe(2);
    expect((await versions()).map((v) => v.source)).toEqual(["seed", "kv-direct"]);
  });

  it("answers version 0 and no config when there is none", async () => {
    const { status, body } = await adminJson("/admin/config");
    expect(status).toBe(200);
    expect(body).toMatchObject({ version: 0, config: null, health: { status: "missing" } });
  });
});

describe("PUT and PATCH /admin/config", () => {
  async function current(): Promise<Config> {
    return (await adminJson<{ config: Config }>("/admin/config")).body.config;
  }

  it("requires If-Match (428)", async () => {
    await seedConfig();
    for (const method of ["PUT", "PATCH"]) {
      const { status, body } = await adminJson<ErrorBody>("/admin/config", {
        method,
        body: { ...(await current()), ...GOOD },
      });
      expect(status).toBe(428);
      expect(body.error.code).toBe("precondition_required");
    }
  });

  it("refuses a stale version with 409 and the current version", async () => {
    await seedConfig();
    const cfg = await current();
    const first = await adminJson("/admin/config", {
      method: "PUT",
      headers: { "if-match": "1" },
      body: { ...cfg, settings: { ...cfg.settings, failover: false }, ...GOOD },
    });
    expect(first.status).toBe(200);
    for (const method of ["PUT", "PATCH"]) {
      const { status, body } = await adminJson<ErrorBody>("/admin/config", {
        method,
        headers: { "if-match": '"1"' },
        body: method === "PUT" ? { ...cfg, ...GOOD } : { settings: { failover: true }, ...GOOD },
      });
      expect(status).toBe(409);
      expect(body.error).toMatchObject({
        type: "conflict_error",
        code: "version_conflict",
        currentVersion: 2,
      });
    }
    expect((await kvConfig()).version).toBe(2);
  });

  it("refuses a write based on a version a direct KV edit has replaced", async () => {
    await seedConfig();
    const cfg = await current();
    const edited = await kvConfig();
    edited.routes[0]!.weight = 0;
    await putConfig(JSON.stringify(edited));
    const { status, body } = await adminJson<ErrorBody>("/admin/config", {
      method: "PUT",
      headers: { "if-match": "1" },
      body: { ...cfg, ...GOOD },
    });
    expect(status).toBe(409);
    expect(body.error.currentVersion).toBe(2);
    expect((await kvConfig()).routes[0]!.weight).toBe(0);
  });

  it("answers 422 with every precise error, including a missing reason", async () => {
    await seedConfig();
    const cfg = await current();
    const route = cfg.routes[0]!;
    const { status, body } = await adminJson<ErrorBody>("/admin/config", {
      method: "PUT",
      headers: { "if-match": "1" },
      body: { ...cfg, routes: [{ ...route, weight: 150, state: "sleeping" }] },
    });
    expect(status).toBe(422);
    expect(body.error.code).toBe("invalid_config");
    expect(body.error.errors).toEqual(
      expect.arrayContaining([
        "routes.0.weight: must be at most 100",
        expect.stringMatching(/^routes\.0\.state: /),
        expect.stringMatching(/^reason: required/),
      ]),
    );
    expect(body.error.message).toContain("routes.0.weight: must be at most 100");
    expect((await versions()).length).toBe(1);
  });

  it("answers 400 for malformed JSON and 422 for a non-object", async () => {
    await seedConfig();
    const bad = await adminJson<ErrorBody>("/admin/config", {
      method: "PUT",
      headers: { "if-match": "1" },
      body: "{not json",
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("invalid_json");
    const arr = await adminJson<ErrorBody>("/admin/config", {
      method: "PUT",
      headers: { "if-match": "1" },
      body: [1, 2],
    });
    expect(arr.status).toBe(422);
    expect(arr.body.error.errors).toEqual(["(root): must be a JSON object"]);
  });

  it("replaces the config, records actor and reason, and routes by it at once", async () => {
    await seedConfig();
    const cfg = await current();
    const { status, body, headers } = await adminJson<{ version: number; config: Config }>(
      "/admin/config",
      {
        method: "PUT",
        headers: { "if-match": "1", "x-reason": "header reason", "x-actor": "bob" },
        body: { ...cfg, routes: [{ ...cfg.routes[0]!, weight: 30 }] },
      },
    );
    expect(status).toBe(200);
    expect(body.version).toBe(2);
    expect(headers.get("etag")).toBe('"2"');
    const kv = await kvConfig();
    expect(kv).toMatchObject({ version: 2, routes: [{ weight: 30 }] });
    expect(kv).not.toHaveProperty("reason");
    expect((await versions())[1]).toMatchObject({
      source: "admin",
      actor: "bob",
      reason: "header reason",
    });
    const health = await adminJson<{ health: unknown }>("/admin/config");
    expect(health.body.health).toEqual({ status: "ok", version: 2 });
  });

  it("applies a JSON merge patch", async () => {
    await seedConfig();
    const { status, body } = await adminJson<{ version: number; config: Config }>("/admin/config", {
      method: "PATCH",
      headers: { "if-match": "1", "content-type": "application/merge-patch+json" },
      body: { settings: { failover: false }, reason: "disable failover for the drill" },
    });
    expect(status).toBe(200);
    expect(body.config.settings.failover).toBe(false);
    const kv = (await kvConfig()) as unknown as Config;
    expect(kv.settings.failover).toBe(false);
    expect(kv.routes[0]!.segments.map((s) => s.name)).toEqual(["germany", "batch"]);
    expect((await versions())[1]!.reason).toBe("disable failover for the drill");
  });

  it("creates the first version with If-Match: 0", async () => {
    const cfg = rolloutConfig();
    const { status, body } = await adminJson<{ version: number }>("/admin/config", {
      method: "PUT",
      headers: { "if-match": "0" },
      body: { ...cfg, ...GOOD },
    });
    expect(status).toBe(200);
    expect(body.version).toBe(1);
    expect((await kvConfig()).version).toBe(1);
  });
});

describe("route actions", () => {
  async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
    return adminJson<{ changed: boolean; version: number; route: Route } & ErrorBody>(
      `/admin/routes/chat/${path}`,
      { body, headers },
    );
  }

  it("sets the default weight and a segment's weight", async () => {
    await seedConfig();
    const a = await post("weight", { weight: 25, reason: "more canary" });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ changed: true, version: 2, route: { weight: 25 } });
    const b = await post("weight", { weight: 0, segment: "germany" }, { "x-reason": "hold DE" });
    expect(b.status).toBe(200);
    const kv = (await kvConfig()) as unknown as Config;
    expect(kv.routes[0]!.weight).toBe(25);
    expect(kv.routes[0]!.segments.map((s) => [s.name, s.weight])).toEqual([
      ["germany", 0],
      ["batch", 0],
    ]);
    expect((await versions()).map((v) => [v.source, v.reason])).toEqual([
      ["seed", "initial config found in KV"],
      ["admin", "more canary"],
      ["admin", "hold DE"],
    ]);
  });

  it("names the missing segment (404), the unknown route (404) and invalid weights (422)", async () => {
    await seedConfig();
    const seg = await post("weight", { weight: 5, segment: "france", ...GOOD });
    expect(seg.status).toBe(404);
    expect(seg.body.error).toMatchObject({ code: "segment_not_found" });
    expect(seg.body.error.message).toContain('"france"');
    const route = await adminJson<ErrorBody>("/admin/routes/nope/weight", {
      body: { weight: 5, ...GOOD },
    });
    expect(route.status).toBe(404);
    expect(route.body.error.message).toContain('"nope"');
    const weight = await post("weight", { weight: 150, ...GOOD });
    expect(weight.status).toBe(422);
    expect(weight.body.error.errors).toEqual(["weight: must be at most 100"]);
    const decimals = await post("weight", { weight: 1.234 });
    expect(decimals.body.error.errors).toEqual([
      "weight: must have at most 2 decimals",
      expect.stringMatching(/^reason: required/),
    ]);
    const extra = await post("weight", { weight: 5, wieght: 6, ...GOOD });
    expect(extra.status).toBe(422);
    expect(extra.body.error.message).toMatch(/wieght/);
    expect((await versions()).length).toBe(1);
  });

  it("pauses, resumes, and refuses actions that do not fit the state", async () => {
    await seedConfig();
    expect((await post("pause", GOOD)).body).toMatchObject({
      changed: true,
      route: { state: "paused" },
    });
    expect((await kvConfig()).routes[0]!.state).toBe("paused");
    const again = await post("pause", GOOD);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ changed: false, version: 2 });
    expect((await post("resume", GOOD)).body.route.state).toBe("active");
    expect((await kvConfig()).routes[0]!.state).toBe("active");
    const noReason = await post("pause", {});
    expect(noReason.status).toBe(422);
    expect(noReason.body.error.errors![0]).toMatch(/^reason: required/);
    expect((await versions()).map((v) => v.source)).toEqual(["seed", "admin", "admin"]);
  });

  it("honours an optional If-Match on non-rollback actions", async () => {
    await seedConfig();
    await post("weight", { weight: 7, ...GOOD });
    const stale = await post("pause", GOOD, { "if-match": "1" });
    expect(stale.status).toBe(409);
    expect(stale.body.error.currentVersion).toBe(2);
    expect((await post("pause", GOOD, { "if-match": "2" })).status).toBe(200);
  });

  it("promotes the canary to stable", async () => {
    await seedConfig();
    const r = await post("promote", { reason: "looks great" });
    expect(r.status).toBe(200);
    const kv = (await kvConfig()) as unknown as Config;
    expect(kv.routes[0]).toMatchObject({
      state: "promoted",
      weight: 0,
      stable: { id: "canary-v2" },
    });
    expect(kv.routes[0]!.canary).toBeUndefined();
    const again = await post("promote", GOOD);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("no_canary");
  });

  it("rolls back even when the caller's If-Match is stale", async () => {
    await seedConfig();
    await post("weight", { weight: 50, ...GOOD });
    const r = await post("rollback", { reason: "errors up" }, { "if-match": "1" });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ changed: true, version: 3 });
    expect((await kvConfig()).routes[0]).toMatchObject({ state: "rolled_back", weight: 0 });
    const seg = ((await kvConfig()) as unknown as Config).routes[0]!.segments;
    expect(seg.map((s) => s.weight)).toEqual([20, 0]);
    expect((await post("rollback", GOOD)).body).toMatchObject({ changed: false, version: 3 });
    expect((await post("resume", GOOD)).body.error.code).toBe("invalid_state");
  });

  it("starts a new release with the policy's default steps", async () => {
    await seedConfig();
    await post("rollback", GOOD);
    const before = Date.now();
    const canary = { id: "canary-v3", originUrl: "http://127.0.0.1:9/v3", model: "c3" };
    const r = await post("releases", { canary, reason: "v3" });
    expect(r.status).toBe(200);
    const route = ((await kvConfig()) as unknown as Config).routes[0]!;
    expect(route).toMatchObject({
      canary,
      state: "active",
      weight: 1,
      rollout: { steps: [1, 5, 10, 25, 50, 100], stepIndex: 0 },
    });
    expect(Date.parse(route.rollout!.stepStartedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(route.segments.map((s) => s.weight)).toEqual([20, 0]);
  });

  it("takes steps and weight from the body", async () => {
    await seedConfig();
    const canary = { id: "canary-v4", originUrl: "http://127.0.0.1:9/v4", model: "c4" };
    const r = await post("releases", { canary, steps: [2, 50, 100], weight: 3, ...GOOD });
    expect(r.body.route).toMatchObject({ weight: 3, rollout: { steps: [2, 50, 100] } });
    const bad = await post("releases", { canary, steps: [50, 10], ...GOOD });
    expect(bad.status).toBe(422);
    expect(bad.body.error.errors).toEqual(
      expect.arrayContaining(["steps: must be ascending", "steps: must end at 100"]),
    );
  });

  it("refuses a reused release id with another origin or model", async () => {
    await seedConfig();
    const moved = { id: "canary-v2", originUrl: "http://127.0.0.1:9/elsewhere", model: "b" };
    const r = await post("releases", { canary: moved, ...GOOD });
    expect(r.status).toBe(422);
    expect(r.body.error.message).toMatch(/release "canary-v2" is immutable/);
    const stable = await post("releases", {
      canary: { id: "stable-v1", originUrl: "http://127.0.0.1:9/stable", model: "a" },
      ...GOOD,
    });
    expect(stable.status).toBe(422);
    expect(stable.body.error.errors).toEqual([
      "routes.0.canary.id: canary and stable must be different releases",
    ]);
  });
});

describe("history and decisions", () => {
  it("lists versions newest first with actor, reason, source and changes", async () => {
    await seedConfig();
    await adminJson("/admin/routes/chat/weight", {
      body: { weight: 20, reason: "step up by hand" },
      headers: { "x-actor": "carol" },
    });
    await adminJson("/admin/routes/chat/pause", { body: { reason: "night" } });
    const { status, body } = await adminJson<{
      versions: Array<{
        version: number;
        actor: string;
        reason: string;
        source: string;
        createdAt: string;
        changes: string[];
      }>;
    }>("/admin/history?limit=2");
    expect(status).toBe(200);
    expect(body.versions).toHaveLength(2);
    expect(body.versions[0]).toMatchObject({
      version: 3,
      actor: "admin-token",
      reason: "night",
      source: "admin",
      changes: ['routes.0.state: "active" → "paused"'],
    });
    expect(body.versions[1]).toMatchObject({
      version: 2,
      actor: "carol",
      reason: "step up by hand",
    });
    // A new weight restarts the rollout step (its data is judged on its own).
    expect(body.versions[1]!.changes[0]).toMatch(/^routes\.0\.rollout\.stepStartedAt: /);
    expect(body.versions[1]!.changes[1]).toBe("routes.0.weight: 10 → 20");
    expect(Number.isNaN(Date.parse(body.versions[0]!.createdAt))).toBe(false);
    const all = await adminJson<{ versions: Array<{ source: string; changes: string[] }> }>(
      "/admin/history",
    );
    expect(all.body.versions.map((v) => v.source)).toEqual(["admin", "admin", "seed"]);
    expect(all.body.versions[2]!.changes.length).toBeGreaterThan(0);
    const bad = await adminJson<ErrorBody>("/admin/history?limit=0");
    expect(bad.status).toBe(422);
    expect(bad.body.error.errors![0]).toMatch(/^limit: /);
  });

  it("lists analyzer decisions with parsed records, filtered by route and action", async () => {
    await putConfig(rolloutConfig());
    await runCron(T0 + 2 * MIN);
    await runCron(T0 + 3 * MIN);
    expect(await decisionRows()).toHaveLength(2);
    const { status, body } = await adminJson<{
      decisions: Array<{ routeId: string; action: string; at: number; record: unknown }>;
    }>("/admin/decisions?route=chat&action=hold&limit=1");
    expect(status).toBe(200);
    expect(body.decisions).toHaveLength(1);
    expect(body.decisions[0]).toMatchObject({
      routeId: "chat",
      action: "hold",
      scheduledTime: T0 + 3 * MIN,
    });
    expect(body.decisions[0]!.record).toMatchObject({ reasons: expect.any(Array) });
    const none = await adminJson<{ decisions: unknown[] }>("/admin/decisions?action=rollback");
    expect(none.body.decisions).toEqual([]);
    const other = await adminJson<{ decisions: unknown[] }>("/admin/decisions?route=embed");
    expect(other.body.decisions).toEqual([]);
  });
});

describe("metrics", () => {
  function events(start: number, step = start) {
    return Array.from({ length: 40 }, (_, i) => {
      const canary = i % 4 === 0;
      const failed = canary && i % 8 === 0;
      return makeOutcome({
        requestId: `m-${start}-${i}`,
        ts: start + i * 1000,
        step,
        variant: canary ? "canary" : "stable",
        releaseId: canary ? "canary-v2" : "stable-v1",
        rolloutId: "canary-v2",
        country: i % 2 === 0 ? "DE" : "US",
        errorClass: failed ? "http_5xx" : null,
        status: failed ? 502 : 200,
        latencyMs: canary ? 200 : 100,
      });
    });
  }

  it("summarizes per slice and variant over the given window", async () => {
    await seedConfig();
    await ingest(events(T0 + MIN));
    const from = new Date(T0).toISOString();
    const to = String(T0 + 10 * MIN);
    const { status, body } = await adminJson<{
      routes: Array<{
        routeId: string;
        from: string;
        slices: Array<{
          slice: string;
          stable: {
            requests: number;
            errors: number;
            errorRate: number;
            latencyMs: { p50: number };
          };
          canary: {
            requests: number;
            errors: number;
            errorRate: number;
            latencyMs: { p95: number };
          };
        }>;
      }>;
    }>(`/admin/metrics?route=chat&from=${from}&to=${to}`);
    expect(status).toBe(200);
    const [route] = body.routes;
    expect(route!.from).toBe(from);
    const all = route!.slices.find((s) => s.slice === "all")!;
    expect(all.stable).toMatchObject({ requests: 30, errors: 0, errorRate: 0 });
    expect(all.canary).toMatchObject({ requests: 10, errors: 5, errorRate: 0.5 });
    expect(Math.abs(all.stable.latencyMs.p50 / 100 - 1)).toBeLessThan(0.01);
    expect(Math.abs(all.canary.latencyMs.p95 / 200 - 1)).toBeLessThan(0.01);
    const de = route!.slices.find((s) => s.slice === "country=DE")!;
    expect(de.canary.requests + de.stable.requests).toBe(20);
    expect(route!.slices[0]!.slice).toBe("all");
  });

  it("defaults to the current step and validates the query", async () => {
    const started = Date.now() - 10 * MIN;
    await seedConfig(rolloutConfig({ stepStartedAt: new Date(started).toISOString() }));
    await ingest(events(started + MIN, started));
    await ingest(events(started - 5 * MIN, started - 60 * MIN)); // the step before: not counted
    const { body } = await adminJson<{
      routes: Array<{
        from: string;
        slices: Array<{ slice: string; stable: { requests: number } }>;
      }>;
    }>("/admin/metrics");
    expect(body.routes[0]!.from).toBe(new Date(started).toISOString());
    expect(body.routes[0]!.slices.find((s) => s.slice === "all")!.stable.requests).toBe(30);
    const unknown = await adminJson<ErrorBody>("/admin/metrics?route=nope");
    expect(unknown.status).toBe(404);
    const bad = await adminJson<ErrorBody>("/admin/metrics?from=yesterday");
    expect(bad.status).toBe(422);
    expect(bad.body.error.errors![0]).toMatch(/^from: /);
    const reversed = await adminJson<ErrorBody>(`/admin/metrics?from=${T0 + MIN}&to=${T0}`);
    expect(reversed.body.error.errors).toEqual(["from: must be before to"]);
  });

  it("serves Prometheus text at /metrics with the token", async () => {
    await seedConfig();
    await ingest(events(Date.now() - 2 * MIN));
    await runCron(Date.now());
    const res = await adminFetch("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain("# TYPE llm_canary_latency_seconds summary");
    expect(text).toContain(
      'llm_canary_requests{route="chat",release="stable-v1",variant="stable"} 30',
    );
    expect(text).toContain(
      'llm_canary_errors{route="chat",release="canary-v2",variant="canary"} 5',
    );
    expect(text).toContain('llm_canary_canary_weight_percent{route="chat"} 10');
    expect(text).toContain(
      'llm_canary_segment_canary_weight_percent{route="chat",segment="germany"} 20',
    );
    expect(text).toContain('llm_canary_route_state{route="chat",state="active"} 1');
    expect(text).toMatch(
      /^llm_canary_last_decision_timestamp_seconds\{route="chat",action="hold"\} \d+/m,
    );
    expect(text).toContain("llm_canary_config_version 1");
    expect(text).toContain('llm_canary_config_health{status="ok"} 1');
    expect(text).toContain("llm_canary_rollups_up 1");
    expect(text).toMatch(/^llm_canary_outcomes_dropped_total \d+$/m);
    expect(text).toMatch(/^llm_canary_assignment_counts_dropped_total \d+$/m);
  });
});

describe("OpenAPI", () => {
  /** `METHOD /openapi/path` of every route the Hono app serves under /admin and /metrics. */
  function registered(): string[] {
    return app.routes
      .filter((r) => r.method !== "ALL" && (r.path.startsWith("/admin/") || r.path === "/metrics"))
      .map((r) => `${r.method} ${r.path.replace(/:([a-z]+)/g, "{$1}")}`);
  }

  it("serves exactly the descriptors' operations, and documents each of them", async () => {
    const res = await adminFetch("/admin/openapi.json");
    expect(res.status).toBe(200);
    const doc = ADMIN_API.openapi.response.schema.parse(await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe("3.1.0");
    const described = Object.values(ADMIN_API).map((op) => `${op.method.toUpperCase()} ${op.path}`);
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(described.length).toBeGreaterThanOrEqual(18);
    expect(registered().sort()).toEqual([...described].sort());
    expect(documented.sort()).toEqual([...described].sort());
    expect(doc.components.schemas).toHaveProperty("RoutingConfig");
    expect(doc.components.schemas).toHaveProperty("DecisionsResult");
  });

  it("documents query parameters from the schemas that parse them", () => {
    const doc = openApiDocument() as {
      paths: Record<string, Record<string, { parameters?: Array<Record<string, unknown>> }>>;
    };
    const params = doc.paths["/admin/history"]!.get!.parameters!;
    expect(params).toEqual([
      expect.objectContaining({
        name: "limit",
        in: "query",
        required: false,
        schema: expect.objectContaining({ minimum: 1, maximum: 200, default: 20 }),
      }),
    ]);
    const series = doc.paths["/admin/series"]!.get!.parameters!;
    expect(series.find((p) => p.name === "route")).toMatchObject({ required: true });
    const weight = doc.paths["/admin/routes/{id}/weight"]!.post!.parameters!;
    expect(weight.map((p) => p.name)).toEqual(["id", "If-Match", "x-reason", "x-actor"]);
  });

  it("answers every read in the shape its descriptor publishes", async () => {
    await seedConfig();
    const reads = [
      [ADMIN_API.getConfig, "/admin/config"],
      [ADMIN_API.history, "/admin/history"],
      [ADMIN_API.decisions, "/admin/decisions"],
      [ADMIN_API.metrics, "/admin/metrics"],
      [ADMIN_API.series, "/admin/series?route=chat"],
      [ADMIN_API.openapi, "/admin/openapi.json"],
    ] as const;
    for (const [op, url] of reads) {
      const res = await adminFetch(url);
      expect(res.status, url).toBe(200);
      const parsed = op.response.schema.safeParse(await res.json());
      expect(parsed.success ? [] : parsed.error.issues, url).toEqual([]);
    }
    const missing = await adminFetch("/admin/metrics?route=nope");
    expect(missing.status).toBe(404);
    expect(ErrorResponseSchema.safeParse(await missing.json()).success).toBe(true);
  });
});
