/**
 * The simulated origin (sim/origin.mjs) over real sockets: OpenAI shapes,
 * streaming, per-request behaviour overrides, injected faults, seeded
 * determinism, request recording and client-abort detection.
 *
 * Most tests share one instance and isolate themselves with a tag, as the
 * integration tests do; tests that read counters start their own.
 */
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOrigin } from "../../sim/origin.mjs";

type Origin = Awaited<ReturnType<typeof startOrigin>>;

let origin: Origin;
let tagSeq = 0;

beforeAll(async () => {
  origin = await startOrigin({ port: 0, name: "stable" });
});

afterAll(async () => {
  await origin.close();
});

/** A fresh tag, so assertions only see this test's requests. */
function tag(prefix: string): string {
  tagSeq += 1;
  return `${prefix}-${tagSeq}`;
}

/** Base URL carrying per-request behaviour, as a release's originUrl would. */
function withBehaviour(base: string, behaviour: Record<string, string | number | boolean>): string {
  const qs = new URLSearchParams(
    Object.entries(behaviour).map(([k, v]) => [k, String(v)]),
  ).toString();
  return `${base}/x/${encodeURIComponent(qs)}`;
}

function post(url: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...init.headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal: init.signal,
  });
}

const chat = (extra: Record<string, unknown> = {}) => ({
  model: "gpt-test",
  messages: [{ role: "user", content: "one two three" }],
  ...extra,
});

interface Frame {
  /** The frame text without the trailing blank line. */
  raw: string;
  /** Index of the network read that completed the frame. */
  read: number;
}

interface SseResult {
  frames: Frame[];
  /** Set when the body ended in an error (e.g. the socket was destroyed). */
  error: unknown;
}

/** Reads an SSE body frame by frame, noting which read delivered each frame. */
async function readSse(
  res: Response,
  stopAfter?: (frames: Frame[]) => boolean,
): Promise<SseResult> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const frames: Frame[] = [];
  let buffer = "";
  let read = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      read += 1;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        frames.push({ raw: buffer.slice(0, end), read });
        buffer = buffer.slice(end + 2);
      }
      if (stopAfter?.(frames)) {
        await reader.cancel();
        break;
      }
    }
  } catch (error) {
    return { frames, error };
  }
  return { frames, error: undefined };
}

/** JSON payloads of `data:` frames; unparseable ones come back as the string. */
function payloads(frames: Frame[]): unknown[] {
  return frames
    .filter((f) => f.raw.startsWith("data: ") && f.raw !== "data: [DONE]")
    .map((f) => {
      try {
        return JSON.parse(f.raw.slice(6)) as unknown;
      } catch {
        return f.raw;
      }
    });
}

interface ChatChunk {
  object: string;
  choices: Array<{ delta: { role?: string; content?: string }; finish_reason: string | null }>;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
}

function contentFrames(frames: Frame[]): Frame[] {
  return frames.filter((f) => f.raw.includes('"delta":{"content"'));
}

async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("chat completions", () => {
  it("answers a chat.completion with the request's model and word-counted usage", async () => {
    const res = await post(`${origin.url}/v1/chat/completions`, chat());
    expect(res.status).toBe(200);
    expect(res.headers.get("x-sim-origin")).toBe("stable");
    const body = (await res.json()) as {
      id: string;
      object: string;
      model: string;
      choices: Array<{ message: { role: string; content: string }; finish_reason: string }>;
      usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
    };
    expect(body.object).toBe("chat.completion");
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(body.model).toBe("gpt-test");
    const content = body.choices[0]!.message.content;
    expect(body.choices[0]!.message.role).toBe("assistant");
    expect(body.choices[0]!.finish_reason).toBe("stop");
    expect(content).toContain("stable");
    expect(content).toContain("gpt-test");
    expect(body.usage).toEqual({
      prompt_tokens: 3,
      completion_tokens: content.split(/\s+/).length,
      total_tokens: 3 + content.split(/\s+/).length,
    });
  });

  it("gives the same logprobs for the same answer", async () => {
    const url = withBehaviour(origin.url, { text: "alpha beta gamma" });
    const read = async () => {
      const res = await post(`${url}/v1/chat/completions`, chat({ logprobs: true }));
      const body = (await res.json()) as {
        choices: Array<{ logprobs: { content: Array<{ token: string; logprob: number }> } }>;
      };
      return body.choices[0]!.logprobs.content;
    };
    const first = await read();
    expect(first.map((e) => e.token)).toEqual(["alpha ", "beta ", "gamma"]);
    expect(first.every((e) => e.logprob <= 0)).toBe(true);
    expect(await read()).toEqual(first);
  });

  it("streams a role delta, separate content chunks, a finish chunk, usage and [DONE]", async () => {
    const url = withBehaviour(origin.url, {
      chunks: 4,
      chunkIntervalMs: 50,
      text: "a b c d e f g h",
    });
    const res = await post(
      `${url}/v1/chat/completions`,
      chat({ stream: true, stream_options: { include_usage: true } }),
    );
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const { frames, error } = await readSse(res);
    expect(error).toBeUndefined();
    const chunks = payloads(frames) as ChatChunk[];
    expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
    const content = contentFrames(frames);
    expect(content).toHaveLength(4);
    const text = (payloads(content) as ChatChunk[])
      .map((c) => c.choices[0]!.delta.content)
      .join("");
    expect(text).toBe("a b c d e f g h");
    // Paced chunks are flushed one by one: each arrives in a later read than the previous.
    const reads = content.map((f) => f.read);
    expect(reads).toEqual([...reads].sort((a, b) => a - b));
    expect(new Set(reads).size).toBe(4);
    const finish = chunks.at(-2)!;
    expect(finish.choices[0]!.finish_reason).toBe("stop");
    const usage = chunks.at(-1)!;
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toEqual({ prompt_tokens: 3, completion_tokens: 8, total_tokens: 11 });
    expect(frames.at(-1)!.raw).toBe("data: [DONE]");
  });
});

describe("per-request behaviour overrides", () => {
  it("errorRate=1 answers errorStatus with an OpenAI-shaped error", async () => {
    const url = withBehaviour(origin.url, { errorRate: 1, errorStatus: 502, tag: tag("err") });
    const res = await post(`${url}/v1/chat/completions`, chat());
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { type: string; message: string; code: unknown } };
    expect(body.error.type).toBe("server_error");
    expect(typeof body.error.message).toBe("string");
    // The override is for that request only.
    expect((await post(`${origin.url}/v1/chat/completions`, chat())).status).toBe(200);
  });

  it("rate429=1 answers 429 with Retry-After", async () => {
    const url = withBehaviour(origin.url, { rate429: 1, retryAfterS: 7 });
    const res = await post(`${url}/v1/chat/completions`, chat());
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");
    const body = (await res.json()) as { error: { code: string } };
    expect(body.error.code).toBe("rate_limit_exceeded");
  });

  it("rejects an unknown or invalid override, naming the field", async () => {
    const unknown = await post(
      `${withBehaviour(origin.url, { errorRat: 1 })}/v1/chat/completions`,
      chat(),
    );
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toContain(
      "errorRat",
    );
    const invalid = await post(
      `${withBehaviour(origin.url, { errorRate: 2 })}/v1/chat/completions`,
      chat(),
    );
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: { message: string } }).error.message).toContain(
      "errorRate",
    );
  });

  it("redirect answers 302 with the given Location", async () => {
    const url = withBehaviour(origin.url, { redirect: "http://127.0.0.1:1/elsewhere" });
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify(chat()),
      redirect: "manual",
    });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("http://127.0.0.1:1/elsewhere");
  });

  it("echoHeaders returns the received headers in JSON and in a stream comment", async () => {
    const url = withBehaviour(origin.url, { echoHeaders: true });
    const headers = { authorization: "Bearer sk-test-123", "x-probe": "p1" };
    const res = await post(`${url}/v1/chat/completions`, chat(), { headers });
    const body = (await res.json()) as { sim: { headers: Record<string, string> } };
    expect(body.sim.headers.authorization).toBe("Bearer sk-test-123");
    expect(body.sim.headers["x-probe"]).toBe("p1");
    const stream = await post(`${url}/v1/chat/completions`, chat({ stream: true }), { headers });
    const { frames } = await readSse(stream);
    expect(frames[0]!.raw.startsWith(": headers ")).toBe(true);
    const echoed = JSON.parse(frames[0]!.raw.slice(": headers ".length)) as Record<string, string>;
    expect(echoed["x-probe"]).toBe("p1");
  });
});

describe("stream faults", () => {
  it("cutAfterChunks destroys the connection after N chunks, without [DONE]", async () => {
    const t = tag("cut");
    const url = withBehaviour(origin.url, { chunks: 8, cutAfterChunks: 3, tag: t });
    const res = await post(`${url}/v1/chat/completions`, chat({ stream: true }));
    const { frames, error } = await readSse(res);
    expect(error).toBeDefined();
    expect(contentFrames(frames)).toHaveLength(3);
    expect(frames.some((f) => f.raw === "data: [DONE]")).toBe(false);
    // Cut by the origin, so not a client abort.
    const [record] = origin.requests(t);
    expect(record?.aborted).toBe(false);
  });

  it("stallAfterChunks stops sending but keeps the connection open", async () => {
    const t = tag("stall");
    const url = withBehaviour(origin.url, { chunks: 8, stallAfterChunks: 2, tag: t });
    const controller = new AbortController();
    const res = await post(`${url}/v1/chat/completions`, chat({ stream: true }), {
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while ((text.match(/"delta":\{"content"/g) ?? []).length < 2) {
      const { value, done } = await reader.read();
      expect(done).toBe(false);
      text += decoder.decode(value);
    }
    const next = await Promise.race([
      reader.read().then(() => "data"),
      new Promise((r) => setTimeout(() => r("silence"), 300)),
    ]);
    expect(next).toBe("silence");
    expect(origin.requests(t)[0]?.finishedAt).toBeNull();
    controller.abort();
    await reader.cancel().catch(() => {});
  });

  it("malformedSse emits one unparseable data line midway and still finishes", async () => {
    const url = withBehaviour(origin.url, { chunks: 6, malformedSse: true, text: "a b c d e f" });
    const { frames, error } = await readSse(
      await post(`${url}/v1/chat/completions`, chat({ stream: true })),
    );
    expect(error).toBeUndefined();
    const bad = payloads(frames).filter((p) => typeof p === "string");
    expect(bad).toHaveLength(1);
    const before = frames.findIndex((f) => typeof payloads([f])[0] === "string");
    expect(contentFrames(frames.slice(0, before))).toHaveLength(3);
    expect(frames.at(-1)!.raw).toBe("data: [DONE]");
  });

  it("inbandError emits an error event midway and ends without [DONE]", async () => {
    const url = withBehaviour(origin.url, { chunks: 8, inbandError: true });
    const { frames, error } = await readSse(
      await post(`${url}/v1/chat/completions`, chat({ stream: true })),
    );
    expect(error).toBeUndefined();
    expect(contentFrames(frames)).toHaveLength(4);
    const last = payloads(frames).at(-1) as { error?: { type: string } };
    expect(last.error?.type).toBe("server_error");
    expect(frames.some((f) => f.raw === "data: [DONE]")).toBe(false);
  });
});

describe("seeded randomness", () => {
  async function statuses(
    o: Origin,
    behaviour: Record<string, string | number>,
  ): Promise<number[]> {
    const url = withBehaviour(o.url, behaviour);
    const out: number[] = [];
    for (let i = 0; i < 50; i++) {
      const res = await fetch(`${url}/v1/models`);
      await res.arrayBuffer();
      out.push(res.status);
    }
    return out;
  }

  it("the same seed gives the same error sequence; another seed does not", async () => {
    const a = await startOrigin({ name: "a", seed: 1234, errorRate: 0.5 });
    const b = await startOrigin({ name: "b", seed: 1234, errorRate: 0.5 });
    const c = await startOrigin({ name: "c", seed: 99, errorRate: 0.5 });
    try {
      const seqA = await statuses(a, {});
      expect(seqA).toContain(200);
      expect(seqA).toContain(503);
      expect(await statuses(b, {})).toEqual(seqA);
      expect(await statuses(c, {})).not.toEqual(seqA);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it("each tag has its own stream, so other traffic does not shift a tagged sequence", async () => {
    const expected = await statuses(origin, { seed: 7, errorRate: 0.5, tag: tag("seq-a") });
    // Interleave another tag's requests with a second run of the same seed.
    const [again] = await Promise.all([
      statuses(origin, { seed: 7, errorRate: 0.5, tag: tag("seq-b") }),
      statuses(origin, { seed: 7, errorRate: 0.5, tag: tag("noise") }),
    ]);
    expect(again).toEqual(expected);
  });
});

describe("recording and inspection", () => {
  it("records requests by tag with path, headers and parsed body", async () => {
    const t1 = tag("rec");
    const t2 = tag("rec");
    const url1 = withBehaviour(origin.url, { tag: t1 });
    await post(`${url1}/v1/chat/completions`, chat(), { headers: { authorization: "Bearer k1" } });
    await post(`${url1}/v1/chat/completions`, chat({ model: "m2" }));
    await post(`${withBehaviour(origin.url, { tag: t2 })}/v1/embeddings`, { input: "x" });

    const res = await fetch(`${origin.url}/__sim/requests?tag=${encodeURIComponent(t1)}`);
    const recorded = (await res.json()) as Array<{
      method: string;
      path: string;
      tag: string;
      headers: Record<string, string>;
      body: { model: string } | null;
      at: number;
      status: number;
    }>;
    expect(recorded.map((r) => r.body?.model)).toEqual(["gpt-test", "m2"]);
    expect(recorded[0]).toMatchObject({
      method: "POST",
      path: "/v1/chat/completions",
      tag: t1,
      status: 200,
    });
    expect(recorded[0]!.headers.authorization).toBe("Bearer k1");
    expect(origin.requests(t2).map((r) => r.path)).toEqual(["/v1/embeddings"]);
  });

  it("serves health, stats and clearing on its own instance", async () => {
    const o = await startOrigin({ name: "inspect" });
    try {
      expect(await (await fetch(`${o.url}/__sim/health`)).json()).toEqual({
        ok: true,
        name: "inspect",
      });
      await post(`${o.url}/v1/chat/completions`, chat());
      await post(`${o.url}/v1/chat/completions`, "{not json");
      await fetch(`${o.url}/v1/nope`);
      const stats = (await (await fetch(`${o.url}/__sim/stats`)).json()) as {
        requests: number;
        byStatus: Record<string, number>;
        aborted: number;
      };
      expect(stats.requests).toBe(3);
      expect(stats.byStatus).toEqual({ "200": 1, "400": 1, "404": 1 });
      expect(stats.aborted).toBe(0);
      expect(o.requests()).toHaveLength(3);
      await fetch(`${o.url}/__sim/requests`, { method: "DELETE" });
      expect(o.requests()).toHaveLength(0);
      o.reset();
      const after = (await (await fetch(`${o.url}/__sim/stats`)).json()) as { requests: number };
      expect(after.requests).toBe(0);
    } finally {
      await o.close();
    }
  });

  it("detects a client that disconnects before the response finished", async () => {
    const o = await startOrigin({ name: "aborts" });
    try {
      const waiting = new AbortController();
      const pending = post(
        `${withBehaviour(o.url, { latencyMs: 10_000, tag: "before-headers" })}/v1/chat/completions`,
        chat(),
        {
          signal: waiting.signal,
        },
      ).catch((error: unknown) => error);
      await waitFor(() => o.requests("before-headers")[0], "the request to arrive");
      waiting.abort();
      await pending;
      const record = await waitFor(
        () => o.requests("before-headers").find((r) => r.aborted),
        "the abort to be recorded",
      );
      expect(record.abortedAt).toBeGreaterThanOrEqual(record.at);
      expect(record.status).toBeNull();

      const streaming = new AbortController();
      const url = withBehaviour(o.url, { chunks: 8, chunkIntervalMs: 200, tag: "mid-stream" });
      const res = await post(`${url}/v1/chat/completions`, chat({ stream: true }), {
        signal: streaming.signal,
      });
      await res.body!.getReader().read();
      streaming.abort();
      await waitFor(() => o.requests("mid-stream").find((r) => r.aborted), "the stream abort");

      const completed = await post(`${o.url}/v1/chat/completions`, chat());
      await completed.json();
      const stats = (await (await fetch(`${o.url}/__sim/stats`)).json()) as { aborted: number };
      expect(stats.aborted).toBe(2);
      expect(o.requests().filter((r) => r.aborted)).toHaveLength(2);
    } finally {
      await o.close();
    }
  });
});

describe("other endpoints", () => {
  it("serves legacy completions, embeddings, responses and models in OpenAI shapes", async () => {
    const completion = (await (
      await post(`${origin.url}/v1/completions`, { model: "davinci", prompt: "say hi" })
    ).json()) as {
      object: string;
      choices: Array<{ text: string }>;
      usage: { prompt_tokens: number };
    };
    expect(completion.object).toBe("text_completion");
    expect(completion.choices[0]!.text.length).toBeGreaterThan(0);
    expect(completion.usage.prompt_tokens).toBe(2);

    const floats = (await (
      await post(`${origin.url}/v1/embeddings`, { model: "e", input: ["x", "y"] })
    ).json()) as { data: Array<{ embedding: number[] }> };
    expect(floats.data.map((d) => d.embedding.length)).toEqual([8, 8]);
    expect(floats.data[0]!.embedding).not.toEqual(floats.data[1]!.embedding);
    const b64 = (await (
      await post(`${origin.url}/v1/embeddings`, { input: "x", encoding_format: "base64" })
    ).json()) as { data: Array<{ embedding: string }> };
    const decoded = Array.from(
      new Float32Array(
        Uint8Array.from(atob(b64.data[0]!.embedding), (c) => c.charCodeAt(0)).buffer,
      ),
    );
    expect(decoded).toEqual(floats.data[0]!.embedding);

    const response = (await (
      await post(`${origin.url}/v1/responses`, { model: "r1", input: "hello there" })
    ).json()) as {
      object: string;
      output: Array<{ content: Array<{ text: string }> }>;
      usage: { input_tokens: number };
    };
    expect(response.object).toBe("response");
    expect(response.output[0]!.content[0]!.text).toContain("r1");
    expect(response.usage.input_tokens).toBe(2);

    const models = (await (await fetch(`${origin.url}/v1/models`)).json()) as {
      data: Array<{ id: string }>;
    };
    expect(models.data.map((m) => m.id)).toEqual(["stable"]);
  });

  it("streams Responses API events ending with response.completed", async () => {
    const url = withBehaviour(origin.url, { chunks: 3, text: "x y z" });
    const { frames } = await readSse(
      await post(`${url}/v1/responses`, { model: "r", input: "q", stream: true }),
    );
    const events = frames.map((f) => /^event: (.+)$/m.exec(f.raw)?.[1]);
    expect(events).toEqual([
      "response.created",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.completed",
    ]);
  });

  it("answers 400 to malformed JSON and 404 to unknown paths, OpenAI-shaped", async () => {
    const bad = await post(`${origin.url}/v1/chat/completions`, "{oops");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { type: string; code: unknown } }).error).toMatchObject({
      type: "invalid_request_error",
      code: null,
    });
    const missing = await fetch(`${origin.url}/v2/whatever`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { type: string } }).error.type).toBe(
      "invalid_request_error",
    );
  });
});

describe("command line", () => {
  it("prints its URL, serves, and exits cleanly on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      [
        "sim/origin.mjs",
        "--port",
        "0",
        "--name",
        "cli-test",
        "--error-rate=1",
        "--error-status",
        "500",
      ],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const exited = new Promise<number | null>((resolve) =>
      child.on("exit", (code) => resolve(code)),
    );
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.once("data", (b: Buffer) => resolve(b.toString()));
      child.once("error", reject);
    });
    const url = /^sim origin cli-test listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(line)?.[1];
    expect(url).toBeDefined();
    expect((await fetch(`${url}/v1/models`)).status).toBe(500);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  it("refuses unknown flags", async () => {
    const child = spawn(process.execPath, ["sim/origin.mjs", "--no-such-flag", "1"], {
      stdio: "ignore",
    });
    expect(await new Promise((resolve) => child.on("exit", resolve))).toBe(2);
  });
});
