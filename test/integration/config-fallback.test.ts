import { SELF } from "cloudflare:test";
import { beforeEach, expect, it } from "vitest";
import { configHealth, resetConfigSource } from "../../worker/config/source";
import { chatBody, putConfig, simRelease, uniqueTag } from "../fixtures/edge";

function route(tag: string, weight: number) {
  return {
    id: "chat",
    models: ["gpt-test"],
    stable: simRelease("stable", tag),
    canary: simRelease("canary", tag),
    weight,
  };
}

async function variants(n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await SELF.fetch("http://edge.test/v1/chat/completions", {
      method: "POST",
      body: chatBody(),
    });
    out.push(`${res.status}:${res.headers.get("x-canary-variant")}`);
    await res.text();
  }
  return out;
}

beforeEach(() => resetConfigSource());

it("keeps routing by the last valid config when KV holds an invalid one", async () => {
  const tag = uniqueTag("lv");
  await putConfig({ version: 7, routes: [route(tag, 100)] });
  expect(await variants(2)).toEqual(["200:canary", "200:canary"]);
  await putConfig({ version: 8, routes: [{ ...route(tag, 250) }] });
  expect(await variants(5)).toEqual(Array(5).fill("200:canary"));
  expect(configHealth()).toMatchObject({
    status: "invalid",
    serving: "last_valid",
    errors: ["routes.0.weight: must be at most 100"],
  });
});

it("sends everything to stable when it never saw a valid config", async () => {
  const tag = uniqueTag("so");
  await putConfig({ version: 1, routes: [{ ...route(tag, 100), weight: -3 }] });
  expect(await variants(5)).toEqual(Array(5).fill("200:stable"));
  expect(configHealth()).toMatchObject({ status: "invalid", serving: "stable_only" });
});

it("answers 503 when no config can be used at all", async () => {
  await putConfig("{ not json");
  const res = await SELF.fetch("http://edge.test/v1/chat/completions", {
    method: "POST",
    body: chatBody(),
  });
  expect(res.status).toBe(503);
  expect(await res.json()).toMatchObject({
    error: { code: "config_unavailable", type: "server_error" },
  });
});
