import { env, SELF } from "cloudflare:test";
import { expect, it } from "vitest";
import { adminFetch } from "../fixtures/admin";
import type { Variant } from "../../contracts/outcome";
import { requestLoggingRate, sampledIn } from "../../contracts/sampling";
import { chatBody, putConfig, simRelease, uniqueTag } from "../fixtures/edge";

const LOGGING = { stableMultiple: 4, canaryShare: 4, minRate: 0.01 };

async function waitForRow(requestId: string) {
  for (let i = 0; i < 100; i++) {
    const row = await env.DB.prepare("select * from outcomes where request_id = ?")
      .bind(requestId)
      .first();
    if (row) return row;
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

it("writes each request's outcome through the queue into D1", async () => {
  const tag = uniqueTag("flow");
  await putConfig({
    version: 3,
    routes: [
      {
        id: "chat",
        models: ["gpt-test"],
        stable: simRelease("stable", tag),
        canary: simRelease("canary", tag, { errorRate: 1, errorStatus: 503 }),
        weight: 100,
      },
    ],
  });
  const res = await SELF.fetch("http://edge.test/v1/chat/completions", {
    method: "POST",
    body: chatBody({ stream: true }),
    headers: { "x-canary-user": "u-1", "x-canary-cohort": "beta" },
    cf: { country: "JP", continent: "AS", colo: "NRT" },
  });
  await res.text();
  const row = await waitForRow(res.headers.get("x-request-id")!);
  expect(row).toMatchObject({
    route_id: "chat",
    variant: "canary",
    release_id: `canary-${tag}`,
    rollout_id: `canary-${tag}`,
    failover: 1,
    error_class: "http_5xx",
    status: 200,
    country: "JP",
    continent: "AS",
    colo: "NRT",
    cohort: "beta",
    keyed: 1,
    stream: 1,
    stream_completed: 1,
    config_version: 3,
  });
});

it("records a cut stream as cut, and its client saw an error event", async () => {
  const tag = uniqueTag("flowcut");
  await putConfig({
    version: 4,
    routes: [
      {
        id: "chat",
        models: ["gpt-test"],
        stable: simRelease("stable", tag),
        canary: simRelease("canary", tag, { cutAfterChunks: 2, chunkIntervalMs: 20 }),
        weight: 100,
      },
    ],
  });
  const res = await SELF.fetch("http://edge.test/v1/chat/completions", {
    method: "POST",
    body: chatBody({ stream: true }),
  });
  expect(await res.text()).toContain("stream_cut");
  const row = await waitForRow(res.headers.get("x-request-id")!);
  expect(row).toMatchObject({
    variant: "canary",
    failover: 0,
    error_class: "stream_cut",
    stream_completed: 0,
    keyed: 0,
  });
});

it("reports the router's own time in x-canary-overhead-ms, in the outcome and on /metrics", async () => {
  const tag = uniqueTag("overhead");
  await putConfig({
    version: 5,
    routes: [
      {
        id: `overhead-${tag}`,
        models: ["gpt-overhead"],
        stable: simRelease("stable", tag),
        canary: simRelease("canary", tag),
        weight: 50,
      },
      {
        id: `overhead-fail-${tag}`,
        models: ["gpt-overhead-fail"],
        stable: simRelease("stable", `${tag}-fail`, { errorRate: 1, errorStatus: 503 }),
        weight: 0,
      },
    ],
  });
  const ids: string[] = [];
  const headers: number[] = [];
  for (let i = 0; i < 4; i++) {
    const res = await SELF.fetch("http://edge.test/v1/chat/completions", {
      method: "POST",
      body: chatBody({ model: "gpt-overhead" }),
      headers: { "x-canary-user": `u-${i}` },
    });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    const header = res.headers.get("x-canary-overhead-ms");
    expect(header).toMatch(/^\d+$/);
    headers.push(Number(header));
    ids.push(res.headers.get("x-request-id")!);
  }
  // A failed origin answer carries it too.
  const failed = await SELF.fetch("http://edge.test/v1/chat/completions", {
    method: "POST",
    body: chatBody({ model: "gpt-overhead-fail" }),
  });
  await failed.text();
  expect(failed.status).toBe(502);
  expect(failed.headers.get("x-canary-overhead-ms")).toMatch(/^\d+$/);

  for (const [i, id] of ids.entries()) {
    const row = await waitForRow(id);
    const metrics = new Map(
      (JSON.parse(String(row!.metrics)) as Array<[string, number, unknown]>).map(([k, v]) => [
        k,
        v,
      ]),
    );
    expect(metrics.get("overhead_ms")).toBe(headers[i]);
  }
  let text = "";
  const count = new RegExp(
    `^llm_canary_router_overhead_seconds_count\\{route="overhead-${tag}",[^}]*\\} (\\d+)$`,
    "gm",
  );
  const counted = () => [...text.matchAll(count)].reduce((sum, m) => sum + Number(m[1]), 0);
  for (let i = 0; i < 50 && counted() < ids.length; i++) {
    text = await (await adminFetch("/metrics")).text();
    if (counted() < ids.length) await new Promise((r) => setTimeout(r, 100));
  }
  expect(counted()).toBeGreaterThanOrEqual(ids.length);
  expect(text).toContain("# TYPE llm_canary_router_overhead_seconds summary");
  expect(text).toMatch(
    new RegExp(
      `^llm_canary_router_overhead_seconds\\{route="overhead-${tag}",[^}]*quantile="0\\.99"\\} `,
      "m",
    ),
  );
});

it("samples the stable arm per user at the default logging rates and weights each event by its rate", async () => {
  const tag = uniqueTag("flowsample");
  // Weight 20: the canary arm logs 4/20 = 20% of its users, the stable arm
  // 4 × 4% / 80% = 20% of its users (contracts/sampling.ts defaults).
  await putConfig({
    version: 4,
    settings: { logging: { stableMultiple: 4, canaryShare: 4, minRate: 0.01 } },
    routes: [
      {
        id: "chat",
        models: ["gpt-test"],
        stable: simRelease("stable", tag),
        canary: simRelease("canary", tag),
        weight: 20,
      },
    ],
  });
  const users = Array.from({ length: 60 }, (_, i) => `${tag}-user-${i}`);
  const sent: Array<{ user: string; id: string; variant: string }> = [];
  for (const user of users)
    for (let k = 0; k < 3; k++) {
      const res = await SELF.fetch("http://edge.test/v1/chat/completions", {
        method: "POST",
        body: chatBody(),
        headers: { "x-canary-user": user },
      });
      await res.text();
      sent.push({
        user,
        id: res.headers.get("x-request-id")!,
        variant: res.headers.get("x-canary-variant")!,
      });
    }
  const expected = sent.filter((s) =>
    sampledIn(s.user, requestLoggingRate(LOGGING, undefined, 20, s.variant as Variant)),
  );
  // Not vacuous: some users are logged and some are not.
  expect(expected.length).toBeGreaterThan(0);
  expect(expected.length).toBeLessThan(sent.length);
  const ids = JSON.stringify(sent.map((s) => s.id));
  let rows: Array<{ request_id: string; sample_rate: number; metrics: string }> = [];
  for (let i = 0; i < 100 && rows.length < expected.length; i++) {
    await new Promise((r) => setTimeout(r, 100));
    rows = (
      await env.DB.prepare(
        "select request_id, sample_rate, metrics from outcomes where request_id in (select value from json_each(?))",
      )
        .bind(ids)
        .all<{ request_id: string; sample_rate: number; metrics: string }>()
    ).results;
  }
  // Exactly the sampled users' requests, all three of each, each weighted 1 / rate.
  expect(rows.map((r) => r.request_id).sort()).toEqual(expected.map((s) => s.id).sort());
  for (const r of rows) {
    expect(r.sample_rate).toBeCloseTo(0.2, 6);
    const requests = (JSON.parse(r.metrics) as Array<[string, number]>).find(
      ([m]) => m === "requests",
    );
    expect(requests?.[1]).toBeCloseTo(5, 6);
  }
});
