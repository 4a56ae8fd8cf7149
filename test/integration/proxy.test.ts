import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { RoutingConfigInput } from "../../contracts/config";
import { chatBody, originRequests, putConfig, simRelease, uniqueTag } from "../fixtures/edge";

const EDGE = "http://edge.test/v1/chat/completions";

function routeConfig(
  tag: string,
  route: Partial<RoutingConfigInput["routes"][number]> = {},
  canary = {},
  stable = {},
) {
  return {
    version: 1,
    routes: [
      {
        id: "chat",
        models: ["gpt-test"],
        stable: simRelease("stable", tag, stable),
        canary: simRelease("canary", tag, canary),
        weight: 0,
        segments: [],
        ...route,
      },
    ],
  } satisfies RoutingConfigInput;
}

function post(body = chatBody(), init: RequestInit & { cf?: Record<string, unknown> } = {}) {
  return SELF.fetch(EDGE, {
    method: "POST",
    body,
    ...init,
    headers: { "content-type": "application/json", ...init.headers },
  });
}

describe("segment routing", () => {
  it("routes by country, cohort and request type", async () => {
    const tag = uniqueTag("seg");
    await putConfig(
      routeConfig(tag, {
        weight: 0,
        segments: [
          { name: "batch-never", match: { headers: { "x-request-class": ["batch"] } }, weight: 0 },
          { name: "germany", match: { countries: ["DE"] }, weight: 100 },
          { name: "internal", match: { cohorts: ["internal"] }, weight: 100 },
        ],
      }),
    );
    const de = await post(chatBody(), { cf: { country: "DE" } });
    expect(de.headers.get("x-canary-variant")).toBe("canary");
    expect(de.headers.get("x-canary-release")).toBe(`canary-${tag}`);
    const us = await post(chatBody(), { cf: { country: "US" } });
    expect(us.headers.get("x-canary-variant")).toBe("stable");
    const cohort = await post(chatBody(), {
      cf: { country: "US" },
      headers: { "x-canary-cohort": "internal" },
    });
    expect(cohort.headers.get("x-canary-variant")).toBe("canary");
    const batch = await post(chatBody(), {
      cf: { country: "DE" },
      headers: { "x-request-class": "batch" },
    });
    expect(batch.headers.get("x-canary-variant")).toBe("stable");
    for (const r of [de, us, cohort, batch]) {
      expect(r.status).toBe(200);
      expect(r.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      await r.text();
    }
  });

  it("honours the geo override header only when enabled", async () => {
    const tag = uniqueTag("geo");
    await putConfig(
      routeConfig(tag, { segments: [{ name: "fr", match: { countries: ["FR"] }, weight: 100 }] }),
    );
    const res = await post(chatBody(), { headers: { "x-canary-geo": "country=FR" } });
    expect(res.headers.get("x-canary-variant")).toBe("canary");
    await res.text();
  });
});

describe("proxying", () => {
  it("rewrites the model, injects the origin key and strips client credentials", async () => {
    const tag = uniqueTag("hyg");
    await putConfig(routeConfig(tag, { weight: 100 }));
    const res = await post(chatBody(), {
      headers: {
        authorization: "Bearer client-secret-token",
        cookie: "session=abc",
        "x-api-key": "client-api-key",
        "cf-connecting-ip": "203.0.113.9",
        "x-forwarded-host": "evil.example",
        "x-canary-user": "user-7",
        "x-canary-cohort": "internal",
        "openai-beta": "assistants=v2",
      },
    });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { model: string };
    expect(answer.model).toBe("canary-model");
    const [seen] = await originRequests("canary", tag);
    expect(seen?.body?.model).toBe("canary-model");
    expect(seen?.headers.authorization).toBe(`Bearer ${env.CANARY_API_KEY}`);
    const names = Object.keys(seen?.headers ?? {});
    for (const banned of [
      "cookie",
      "x-api-key",
      "cf-connecting-ip",
      "x-forwarded-host",
      "x-canary-user",
      "x-canary-cohort",
    ]) {
      expect(names).not.toContain(banned);
    }
    expect(JSON.stringify(seen)).not.toContain("client-secret-token");
    expect(seen?.headers["openai-beta"]).toBe("assistants=v2");
  });

  it("streams chunk by chunk without buffering", async () => {
    const tag = uniqueTag("stream");
    await putConfig(routeConfig(tag, { weight: 100 }, { chunks: 6, chunkIntervalMs: 60 }));
    const res = await post(chatBody({ stream: true }));
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.getReader();
    const arrivals: number[] = [];
    let text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      arrivals.push(Date.now());
      text += new TextDecoder().decode(value);
    }
    expect(arrivals.length).toBeGreaterThanOrEqual(4);
    // Chunks 60 ms apart at the origin arrive spread out, not in one burst at the end.
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThanOrEqual(200);
    expect(text.trim().endsWith("data: [DONE]")).toBe(true);
  });

  it("fails over to stable when the canary answers 503 before its first byte", async () => {
    const tag = uniqueTag("fo");
    await putConfig(routeConfig(tag, { weight: 100 }, { errorRate: 1, errorStatus: 503 }));
    const res = await post();
    expect(res.status).toBe(200);
    expect(res.headers.get("x-canary-variant")).toBe("stable");
    expect(res.headers.get("x-canary-release")).toBe(`stable-${tag}`);
    expect(((await res.json()) as { model: string }).model).toBe("stable-model");
    expect(await originRequests("canary", tag)).toHaveLength(1);
    expect(await originRequests("stable", tag)).toHaveLength(1);
  });

  it("stops calling a canary that answered 429 with Retry-After until it expires", async () => {
    const tag = uniqueTag("429");
    await putConfig(routeConfig(tag, { weight: 100 }, { rate429: 1, retryAfterS: 30 }));
    for (let i = 0; i < 10; i++) {
      const res = await post();
      expect(res.status).toBe(200);
      expect(res.headers.get("x-canary-variant")).toBe("stable");
      await res.text();
    }
    expect(await originRequests("canary", tag)).toHaveLength(1);
    expect(await originRequests("stable", tag)).toHaveLength(10);
  });

  it("ends a cut stream with an SSE error event, never [DONE]", async () => {
    const tag = uniqueTag("cut");
    await putConfig(
      routeConfig(tag, { weight: 100 }, { chunks: 8, cutAfterChunks: 3, chunkIntervalMs: 20 }),
    );
    const res = await post(chatBody({ stream: true }));
    const text = await res.text();
    expect(text).toContain("event: error");
    expect(text).toContain('"code":"stream_cut"');
    expect(text).not.toContain("[DONE]");
  });

  it("does not follow origin redirects", async () => {
    const tag = uniqueTag("redir");
    await putConfig(
      routeConfig(tag, { weight: 0 }, {}, { redirect: `${env.ORIGIN_CANARY}/v1/chat/completions` }),
    );
    const res = await post();
    expect(res.status).toBe(502);
    expect(await originRequests("stable", tag)).toHaveLength(1);
  });
});

describe("client errors", () => {
  it("answers OpenAI-shaped 400/404/413 without calling an origin", async () => {
    const tag = uniqueTag("bad");
    await putConfig(routeConfig(tag, { weight: 50 }));
    const cases: Array<[RequestInit, number, string]> = [
      [{ body: "{nope" }, 400, "invalid_json"],
      [{ body: JSON.stringify({ messages: [] }) }, 400, "missing_model"],
      [{ body: chatBody({ model: "no-such-model" }) }, 404, "model_not_found"],
      [{ body: chatBody({ pad: "x".repeat(1024 * 1024 + 10) }) }, 413, "request_too_large"],
      [{ body: "[1,2]" }, 400, "invalid_body"],
    ];
    for (const [init, status, code] of cases) {
      const res = await SELF.fetch(EDGE, { method: "POST", ...init });
      expect(res.status).toBe(status);
      const body = (await res.json()) as { error: { code: string; type: string; message: string } };
      expect(body.error.code).toBe(code);
      expect(typeof body.error.message).toBe("string");
    }
    expect(await originRequests("stable", tag)).toHaveLength(0);
    expect(await originRequests("canary", tag)).toHaveLength(0);
  });
});
