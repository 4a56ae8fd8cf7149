/**
 * Resilience, section "attacks and bad input" (issue 7, rows 17-23): guessed
 * and forged admin credentials, attempts to steer the edge's connections,
 * secrets and personal data that must never come back out, hostile bodies
 * and hostile headers. Traffic goes through the runtime (`SELF`) to the
 * simulated origins; a decoy listener (globalSetup) must never be reached.
 */
import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { Hono } from "hono";
import { beforeEach, describe, expect, inject, it } from "vitest";
import { tokensEqual } from "../../worker/admin/auth";
import { createAdminRouter } from "../../worker/admin/router";
import { onError } from "../../worker/errors";
import worker from "../../worker/index";
import { SecretScrubber } from "../../worker/proxy/scrub";
import type { AppEnv } from "../../worker/types";
import { accessFixture, AUDIENCE, TEAM_DOMAIN, unsignedToken } from "../fixtures/access";
import { adminFetch, seedConfig } from "../fixtures/admin";
import { resetStorage, runCron, versions } from "../fixtures/analyzer";
import { chatBody, originRequests, putConfig, uniqueTag } from "../fixtures/edge";
import { mulberry32 } from "../../analyzer/sim/prng";
import {
  allD1Rows,
  captureConsole,
  count,
  EDGE_URL,
  found,
  pool,
  post,
  simConfig,
  waitFor,
  waitForOutcomes,
  type CapturedConsole,
} from "./support";

const DAY = 24 * 60 * 60 * 1000;

interface ErrorBody {
  error: { message: string; type: string; code: string };
}

function isOpenAiError(v: unknown): v is ErrorBody {
  const e = (v as ErrorBody | null)?.error;
  return (
    typeof e === "object" &&
    e !== null &&
    typeof e.message === "string" &&
    typeof e.type === "string" &&
    typeof e.code === "string"
  );
}

/** Whether `s` travels unchanged in an HTTP header (printable ASCII, tabs and spaces). */
function isHeaderValue(s: string): boolean {
  return /^[\t\x20-\x7e]*$/.test(s);
}

/** 10,000 wrong admin tokens: near misses of `token` first, then random strings. */
function wrongTokens(token: string, n: number): string[] {
  const rnd = mulberry32(17);
  const out = new Set<string>();
  const add = (s: string) => {
    if (s !== token) out.add(s);
  };
  add("");
  const odd = ["x", "0", " ", "\t", "\u0000", "\u00e9", "\u20ac", "\u{1f600}", "\u200b"];
  for (let i = 0; i < token.length; i++) {
    add(token.slice(0, i)); // every proper prefix (right start, wrong length)
    add(token.slice(0, i) + token.slice(i + 1)); // one character missing
    for (const ch of ["a", "Z", "9", "-", ...odd]) {
      add(token.slice(0, i) + ch + token.slice(i + 1)); // one character wrong
      add(token.slice(0, i) + ch + token.slice(i)); // one character extra
    }
  }
  for (const ch of odd) {
    add(token + ch);
    add(ch + token);
  }
  // Unicode look-alikes: Cyrillic a/e/o, full-width letters and digits.
  add(token.replace(/a/g, "\u0430").replace(/e/g, "\u0435").replace(/o/g, "\u043e"));
  add([...token].map((c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0)).join(""));
  add(token.toUpperCase());
  add(token + token);
  add([...token].reverse().join(""));
  const pools = [
    () => 0x21 + Math.floor(rnd() * 94),
    () => 0xa0 + Math.floor(rnd() * 0x60),
    () => 0x400 + Math.floor(rnd() * 0x100),
    () => 0x1f300 + Math.floor(rnd() * 0x200),
  ];
  while (out.size < n) {
    const len = Math.floor(rnd() * 80);
    const pick = pools[Math.floor(rnd() * pools.length)]!;
    add(String.fromCodePoint(...Array.from({ length: len }, pick)));
  }
  return [...out].slice(0, n);
}

let logs: CapturedConsole;
beforeEach(async () => {
  logs = captureConsole();
  await resetStorage();
  return () => logs.restore();
});

describe("attacks and bad input", () => {
  it("row 17: 10,000 random and near-miss admin tokens are all refused (every one by the token compare, 300 of them over HTTP)", async () => {
    const token = env.ADMIN_TOKEN!;
    const wrong = wrongTokens(token, 10_000);
    expect(wrong).toHaveLength(10_000);
    expect(await tokensEqual(token, token)).toBe(true);
    let accepted = 0;
    for (const t of wrong) if (await tokensEqual(t, token)) accepted += 1;
    expect(accepted).toBe(0);

    // Over HTTP: 300 of those that travel unchanged in a header (and are not the
    // right token once HTTP trims surrounding whitespace).
    await seedConfig();
    const sendable = wrong.filter((t) => isHeaderValue(t) && t.trim() !== token);
    const sample = Array.from({ length: 300 }, (_, i) => sendable[(i * 33) % sendable.length]!);
    const endpoints: Array<[string, string, unknown]> = [
      ["GET", "/admin/config", undefined],
      ["GET", "/metrics", undefined],
      ["POST", "/admin/routes/chat/weight", { weight: 100, reason: "takeover" }],
      ["POST", "/admin/routes/chat/rollback", { reason: "takeover" }],
    ];
    const refused = await pool(sample.length, 10, async (i) => {
      const [method, path, body] = endpoints[i % endpoints.length]!;
      const res = await adminFetch(path, { method, body, token: sample[i]! });
      const text = await res.text();
      return (
        res.status === 401 &&
        isOpenAiError(JSON.parse(text)) &&
        !text.includes(token) &&
        (sample[i]!.length < 8 || !text.includes(sample[i]!))
      );
    });
    expect(refused.filter(Boolean)).toHaveLength(300);
    expect((await versions()).map((v) => v.source)).toEqual(["seed"]);
    expect((await adminFetch("/admin/config")).status).toBe(200);
  });

  it("row 17: Access JWTs with a wrong aud, expired, alg none, an unknown kid or a bad signature are refused, 11 of 11", async () => {
    const fx = await accessFixture();
    const app = new Hono<AppEnv>();
    app.route("/admin", createAdminRouter({ jwks: fx.source }));
    app.onError(onError);
    const accessEnv = { ...env, ACCESS_TEAM_DOMAIN: TEAM_DOMAIN, ACCESS_AUD: AUDIENCE };
    const get = (jwt: string) =>
      app.request(
        "http://edge.test/admin/config",
        { headers: { "cf-access-jwt-assertion": jwt } },
        accessEnv,
      );
    await seedConfig();
    const now = Date.now();
    const s = Math.floor(now / 1000);
    const valid = await fx.sign(fx.claims(now));
    const [head, , sig] = valid.split(".");
    const forgedClaims = btoa(JSON.stringify(fx.claims(now, { email: "root@example.com" })))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
    const forged = [
      await fx.sign(fx.claims(now, { aud: ["some-other-app"] })),
      await fx.sign(fx.claims(now, { exp: s - 5 })),
      unsignedToken(fx.claims(now), fx.kid),
      await fx.sign(fx.claims(now), { header: { alg: "none" } }),
      await fx.sign(fx.claims(now), { header: { alg: "HS256" } }),
      await fx.sign(fx.claims(now), { header: { kid: "not-published" } }),
      await fx.sign(fx.claims(now), { key: fx.strangerKey }),
      `${head}.${forgedClaims}.${sig}`,
      await fx.sign(fx.claims(now, { iss: "https://other.cloudflareaccess.com" })),
      await fx.sign(fx.claims(now, { nbf: s + 3600 })),
      "a.b.c",
    ];
    const statuses = [];
    for (const jwt of forged) {
      const res = await get(jwt);
      const body = (await res.json()) as ErrorBody;
      statuses.push(res.status === 401 && body.error.code === "invalid_credentials");
    }
    expect(statuses.filter(Boolean)).toHaveLength(11);
    expect((await get(valid)).status).toBe(200);
  });

  it("row 18: base_url, api_base, Host and x-forwarded-host in 12 of 12 requests never change where the edge connects (0 requests at the decoy), and origin redirects are not followed", async () => {
    const decoy = inject("decoyOrigin");
    const decoyHost = new URL(decoy).host;
    const stats = async () =>
      ((await (await fetch(`${decoy}/__sim/stats`)).json()) as { requests: number }).requests;
    const tag = uniqueTag("r18");
    await putConfig(simConfig(tag, { weight: 50 }));
    const steer = `${decoy}/v1`;
    const cases: Array<{ url?: string; body?: Record<string, unknown>; headers?: HeadersInit }> = [
      { body: { base_url: steer } },
      { body: { api_base: steer } },
      { body: { baseURL: steer, baseUrl: steer, endpoint: steer, url: steer } },
      { body: { api_base: decoy, base_url: decoy, host: decoyHost } },
      { headers: { host: decoyHost } },
      { headers: { "x-forwarded-host": decoyHost } },
      { headers: { "x-forwarded-host": decoyHost, "x-forwarded-proto": "http" } },
      { headers: { forwarded: `host=${decoyHost};proto=http` } },
      { headers: { "x-original-url": steer, "x-rewrite-url": steer } },
      { url: `${decoy}/v1/chat/completions` },
      { url: `${EDGE_URL}?base_url=${encodeURIComponent(steer)}` },
      { url: `http://edge.test//${decoyHost}/v1/chat/completions` },
    ];
    const answered = [];
    for (const c of cases) {
      const res = await SELF.fetch(c.url ?? EDGE_URL, {
        method: "POST",
        body: chatBody(c.body),
        headers: c.headers,
      });
      await res.text();
      answered.push(res.status);
    }
    const upstream = [
      ...(await originRequests("stable", tag)),
      ...(await originRequests("canary", tag)),
    ];
    // Every request either reached a configured origin or was refused by the edge.
    expect(answered.filter((s) => s === 200)).toHaveLength(upstream.length);
    expect(upstream.length).toBeGreaterThanOrEqual(10);

    // Redirects to the decoy: stable's is refused (502), the canary's fails over.
    const redirect = uniqueTag("r18-redirect");
    await putConfig(
      simConfig(redirect, { weight: 0, stable: { redirect: `${decoy}/v1/chat/completions` } }),
    );
    const toStable = await post(chatBody());
    await putConfig(
      simConfig(redirect, { weight: 100, canary: { redirect: `${decoy}/v1/chat/completions` } }),
    );
    const fromCanary = await post(chatBody());
    expect([toStable.status, fromCanary.status]).toEqual([502, 200]);
    expect(fromCanary.headers.get("x-canary-variant")).toBe("stable");
    await toStable.text();
    await fromCanary.text();
    expect(await stats()).toBe(0);
  });

  it("row 19: origin keys, the admin token and client credentials appear in 0 responses, 0 log lines and 0 D1 rows, with origins that echo request headers", async () => {
    const tag = uniqueTag("r19");
    const client = {
      authorization: "Bearer sk-client-credential-0123456789",
      "api-key": "client-azure-api-key-0123456789",
      "x-api-key": "client-x-api-key-0123456789",
      cookie: "session=client-session-cookie-0123456789",
      "openai-organization": "org-client-organization-0123456789",
      "openai-project": "proj-client-project-0123456789",
    };
    const secrets = [
      env.STABLE_API_KEY,
      env.CANARY_API_KEY,
      env.ADMIN_TOKEN!,
      env.FEEDBACK_SIGNING_KEY!,
      ...Object.values(client).map((v) => v.replace(/^(Bearer |session=)/, "")),
    ];
    await putConfig(
      simConfig(tag, {
        weight: 50,
        canary: { echoHeaders: true },
        stable: { echoHeaders: true },
        evaluators: [{ name: "mod", kind: "moderation", url: env.ORIGIN_STABLE }],
        route: { evaluation: { sampleRate: { stable: 1, canary: 1 }, evaluators: ["mod"] } },
      }),
    );
    const texts: string[] = [];
    const ids = await pool(40, 8, async (i) => {
      const res = await post(chatBody({ stream: i % 2 === 0 }), {
        headers: { ...client, "x-canary-user": `user-${i}` },
      });
      texts.push(JSON.stringify([...res.headers]) + (await res.text()));
      return res.headers.get("x-request-id")!;
    });
    // An origin refusing the request (its 4xx body is passed on) and a canary failing over.
    const refusing = uniqueTag("r19-4xx");
    await putConfig(
      simConfig(refusing, {
        weight: 50,
        canary: { echoHeaders: true, errorRate: 1, errorStatus: 503 },
        stable: { echoHeaders: true, errorRate: 1, errorStatus: 400 },
      }),
    );
    for (let i = 0; i < 10; i++) {
      const res = await post(chatBody(), { headers: { ...client, "x-canary-user": `u-${i}` } });
      texts.push(JSON.stringify([...res.headers]) + (await res.text()));
    }
    // Releases without origin keys (the native relay): the client's credentials never go upstream.
    const open = uniqueTag("r19-open");
    await putConfig(
      simConfig(open, {
        weight: 50,
        originKeys: false,
        canary: { echoHeaders: true },
        stable: { echoHeaders: true },
      }),
    );
    for (let i = 0; i < 10; i++) {
      const res = await post(chatBody({ stream: i % 2 === 0 }), {
        headers: { ...client, "x-canary-user": `o-${i}` },
      });
      texts.push(JSON.stringify([...res.headers]) + (await res.text()));
    }
    expect(JSON.stringify(await originRequests("stable", open))).not.toContain("authorization");
    for (const path of ["/admin/config", "/admin/history", "/admin/decisions", "/metrics"]) {
      const res = await adminFetch(path);
      texts.push(JSON.stringify([...res.headers]) + (await res.text()));
    }
    const refused = await adminFetch("/admin/config", { token: client["x-api-key"] });
    texts.push(await refused.text());
    // The origins did receive their keys: the echo would show any leak.
    const seen = await originRequests("stable", tag);
    expect(JSON.stringify(seen)).toContain(env.STABLE_API_KEY);

    await waitForOutcomes(ids);
    await waitFor(
      async () => ((await count("select count(*) as n from eval_samples")) >= 40 ? true : null),
      "40 evaluation samples",
    );
    const rows = await allD1Rows();
    expect(rows.length).toBeGreaterThan(80);
    expect(texts).toHaveLength(65);
    expect(texts.filter((t) => found(t, secrets).length > 0)).toHaveLength(0);
    expect(logs.lines().filter((l) => found(l, secrets).length > 0)).toHaveLength(0);
    expect(rows.filter((r) => found(r.text, secrets).length > 0)).toHaveLength(0);

    // However the origin's bytes are split into chunks, the key never gets through.
    const echo = `: headers {"authorization":"Bearer ${env.CANARY_API_KEY}"}\n\n`;
    const bytes = new TextEncoder().encode(echo);
    const leaks = Array.from({ length: bytes.byteLength }, (_, cut) => {
      const s = new SecretScrubber([env.STABLE_API_KEY, env.CANARY_API_KEY]);
      const parts = [s.push(bytes.slice(0, cut)), s.push(bytes.slice(cut)), s.flush()];
      return new TextDecoder().decode(new Uint8Array(parts.flatMap((p) => [...p])));
    }).filter((out) => out !== echo.replace(env.CANARY_API_KEY, "[redacted]"));
    expect(leaks).toHaveLength(0);
  });

  it("row 19: an origin key the origin echoes split across two network reads never reaches the client", async () => {
    const tag = uniqueTag("r19-split");
    await putConfig(
      simConfig(tag, {
        weight: 100,
        canary: { echoHeaders: true, splitEchoMs: 40 },
      }),
    );
    const texts: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await post(chatBody({ stream: true }), {
        headers: { "x-canary-user": `split-${i}` },
      });
      expect(res.headers.get("x-canary-variant")).toBe("canary");
      texts.push(await res.text());
    }
    const seen = await originRequests("canary", tag);
    expect(JSON.stringify(seen)).toContain(env.CANARY_API_KEY);
    for (const text of texts) {
      // The echo came through, masked where the key straddled the two reads.
      expect(text).toContain(': headers {"');
      expect(text).toContain("Bearer [redacted]");
      expect(found(text, [env.CANARY_API_KEY, env.STABLE_API_KEY])).toEqual([]);
      expect(text).toContain("data: [DONE]");
    }
  });

  it("row 20: an oversized body, a non-numeric Content-Length and a chunked body over the limit are rejected with 413/400 before any upstream call (0 upstream requests)", async () => {
    const tag = uniqueTag("r20");
    await putConfig(simConfig(tag, { weight: 50, settings: { maxBodyBytes: 64 * 1024 } }));
    const over = chatBody({ pad: "x".repeat(64 * 1024) });
    const chunked = () => {
      const part = new TextEncoder().encode(`{"model":"gpt-test","pad":"${"y".repeat(16 * 1024)}`);
      let sent = 0;
      return new ReadableStream<Uint8Array>({
        pull(c) {
          if (sent++ < 8) c.enqueue(part);
          else c.close();
        },
      });
    };
    const direct = async (headers: Record<string, string>) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(
        new Request(EDGE_URL, { method: "POST", body: chatBody(), headers }),
        env,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return res;
    };
    const results: Array<[number, Response]> = [
      [413, await post(over)],
      [413, await post(chatBody({ pad: "z".repeat(2 * 1024 * 1024) }))],
      [413, await post(chunked())],
      [400, await post(chatBody(), { headers: { "content-length": "abc" } })],
      [400, await direct({ "content-length": "12abc" })],
      [400, await direct({ "content-length": "-1" })],
      [400, await direct({ "content-length": "1e3" })],
      [400, await direct({ "content-length": "0x20" })],
    ];
    const ok = [];
    for (const [status, res] of results) {
      const body = (await res.json()) as unknown;
      ok.push(res.status === status && isOpenAiError(body));
    }
    expect(ok.filter(Boolean)).toHaveLength(8);
    expect(await originRequests("stable", tag)).toHaveLength(0);
    expect(await originRequests("canary", tag)).toHaveLength(0);
  });

  it("row 21: 20 of 20 malformed, mistyped, huge, deeply nested or non-UTF-8 bodies get OpenAI-shaped 4xx errors without an upstream call, and the edge keeps serving", async () => {
    const tag = uniqueTag("r21");
    await putConfig(simConfig(tag, { weight: 50 }));
    const nested = (depth: number, open: string, close: string) =>
      `{"model":"gpt-test","messages":[],"x":${open.repeat(depth)}1${close.repeat(depth)}}`;
    const tenMb = JSON.stringify({
      model: "gpt-test",
      messages: Array.from({ length: 100_000 }, () => ({ role: "user", content: "x".repeat(90) })),
    });
    const bytes = (...b: number[]) =>
      new Uint8Array([...new TextEncoder().encode('{"model":"gpt-test","x":"'), ...b, 0x22, 0x7d]);
    const bodies: Array<[string, BodyInit]> = [
      ["not JSON", "{nope"],
      ["empty", ""],
      ["truncated", '{"model":"gpt-test","messages":[{"role":"user"'],
      ["null", "null"],
      ["an array", "[]"],
      ["a string", '"gpt-test"'],
      ["model a number", JSON.stringify({ model: 5, messages: [] })],
      ["model empty", JSON.stringify({ model: "", messages: [] })],
      ["messages a string", JSON.stringify({ model: "gpt-test", messages: "hello" })],
      ["messages of numbers", JSON.stringify({ model: "gpt-test", messages: [1, 2] })],
      ["stream a string", JSON.stringify({ model: "gpt-test", messages: [], stream: "yes" })],
      ["user an object", JSON.stringify({ model: "gpt-test", messages: [], user: { id: 1 } })],
      ["prompt a number", JSON.stringify({ model: "gpt-test", prompt: 42 })],
      ["10 MB messages array", tenMb],
      ["100,000 nested arrays", nested(100_000, "[", "]")],
      ["10,000 nested objects", nested(10_000, '{"a":', "}")],
      ["invalid UTF-8", bytes(0xff, 0xfe)],
      ["overlong UTF-8", bytes(0xc0, 0xaf)],
      ["UTF-8 surrogate", bytes(0xed, 0xa0, 0x80)],
      ["truncated UTF-8", bytes(0xe2, 0x82)],
    ];
    const failures: string[] = [];
    for (const [name, body] of bodies) {
      const res = await post(body);
      const text = await res.text();
      let json: unknown = null;
      try {
        json = JSON.parse(text);
      } catch {
        // checked below
      }
      if (res.status < 400 || res.status > 499 || !isOpenAiError(json))
        failures.push(`${name}: ${res.status} ${text.slice(0, 120)}`);
    }
    expect(failures).toEqual([]);
    expect(bodies).toHaveLength(20);
    expect(await originRequests("stable", tag)).toHaveLength(0);
    expect(await originRequests("canary", tag)).toHaveLength(0);
    const after = await post(chatBody());
    expect(after.status).toBe(200);
    await after.text();
  });

  it("row 22: prompts and answers seeded with emails, phone numbers and sk- keys leave 0 traces in D1 after redaction, and samples past retention are deleted", async () => {
    const tag = uniqueTag("r22");
    const pii = [
      "jane.doe@example.com",
      "ops-team@corp.example.org",
      "+1 415 555 0132",
      "(030) 1234-5678",
      "0176 12345678",
      "sk-proj-AbCdEf0123456789XyZ",
      "sk-live-9f8e7d6c5b4a3210fedc",
    ];
    const answer = `Noted: write to ${pii[1]} or call ${pii[4]}; never share ${pii[6]}.`;
    await putConfig(
      simConfig(tag, {
        weight: 50,
        canary: { text: answer },
        stable: { text: answer },
        settings: { sampleRetentionDays: 7 },
        evaluators: [{ name: "mod", kind: "moderation", url: env.ORIGIN_STABLE }],
        route: { evaluation: { sampleRate: { stable: 1, canary: 1 }, evaluators: ["mod"] } },
      }),
    );
    const ids = await pool(20, 5, async (i) => {
      const res = await post(
        chatBody({
          stream: i % 2 === 1,
          messages: [
            { role: "system", content: `Escalations go to ${pii[i % 2]} and ${pii[2]}.` },
            {
              role: "user",
              content: `I am ${pii[0]}, phone ${pii[2 + (i % 3)]}, my key is ${pii[5 + (i % 2)]}. Help?`,
            },
          ],
        }),
        { headers: { "x-canary-user": `user-${i}` } },
      );
      await res.text();
      return res.headers.get("x-request-id")!;
    });
    await waitForOutcomes(ids);
    await waitFor(
      async () => ((await count("select count(*) as n from eval_samples")) >= 20 ? true : null),
      "20 evaluation samples",
    );
    const rows = await allD1Rows();
    expect(rows.filter((r) => found(r.text, pii).length > 0)).toHaveLength(0);
    const samples = rows.filter((r) => r.table === "eval_samples").map((r) => r.text);
    expect(samples).toHaveLength(20);
    for (const placeholder of ["[email]", "[phone]", "[api_key]"]) {
      expect(samples.filter((t) => t.includes(placeholder))).toHaveLength(20);
    }

    // Retention (7 days): kept by the cron 6 days later, deleted by the cron 8 days later.
    await runCron(Date.now() + 6 * DAY);
    expect(await count("select count(*) as n from eval_samples")).toBe(20);
    await runCron(Date.now() + 8 * DAY);
    expect(await count("select count(*) as n from eval_samples")).toBe(0);
  });

  it("row 23: 24 of 24 overlong or hostile x-canary-user / x-canary-cohort values are neutralised, never reflected, and every request keeps its outcome", async () => {
    const tag = uniqueTag("r23");
    await putConfig(simConfig(tag, { weight: 50 }));
    const values = [
      "u".repeat(129),
      "u".repeat(200),
      "u".repeat(256),
      "u".repeat(257),
      "u".repeat(4_096),
      "u".repeat(16_000),
      "<script>alert(1)</script>",
      "evil%0d%0aSet-Cookie:%20pwned=1",
      "evil\tSet-Cookie: pwned=1",
      "ev\u00efl-latin1-value",
      "  padded-value  ",
      "a b c d e f",
    ];
    const sent = values.flatMap((v) => [
      { header: "x-canary-user", value: v },
      { header: "x-canary-cohort", value: v },
    ]);
    const answers = await pool(sent.length, 6, async (i) => {
      const { header, value } = sent[i]!;
      const res = await post(chatBody(), { headers: { [header]: value } });
      const text = JSON.stringify([...res.headers]) + (await res.text());
      const needle = value.trim();
      return {
        id: res.headers.get("x-request-id")!,
        ok: res.status === 200 && !text.includes(needle) && !/pwned/i.test(text),
      };
    });
    expect(answers.filter((a) => a.ok)).toHaveLength(24);
    const rows = await waitForOutcomes(answers.map((a) => a.id));
    expect(rows.filter((r) => r.cohort === null || r.cohort.length <= 128)).toHaveLength(24);
  });
});
