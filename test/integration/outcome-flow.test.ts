import { env, SELF } from "cloudflare:test";
import { expect, it } from "vitest";
import { chatBody, putConfig, simRelease, uniqueTag } from "../fixtures/edge";

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
