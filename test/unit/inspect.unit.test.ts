import { describe, expect, it } from "vitest";
import { JsonInspector, SseInspector } from "../../worker/proxy/inspect";

const enc = new TextEncoder();

/** Feeds text split at every given byte offset, to cut lines, JSON and characters anywhere. */
function feed(text: string, cuts: number[]): SseInspector {
  const bytes = enc.encode(text);
  const insp = new SseInspector();
  let prev = 0;
  cuts.forEach((cut, i) => {
    insp.push(bytes.slice(prev, cut), 100 + i);
    prev = cut;
  });
  insp.push(bytes.slice(prev), 999);
  return insp;
}

const chunk = (content: string, finish: string | null = null) =>
  `data: ${JSON.stringify({ object: "chat.completion.chunk", choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;

const stream =
  chunk("Grüße ") +
  chunk("aus ") +
  chunk("Köln ✓") +
  chunk("", "stop") +
  `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 4 } })}\n\ndata: [DONE]\n\n`;

describe("SSE inspection", () => {
  it("reads content, finish reason, usage and [DONE] however the bytes are split", () => {
    const whole = feed(stream, []).end(1000);
    const bytes = enc.encode(stream).length;
    for (const cuts of [
      [1],
      [7, 8, 9],
      [40, 41, 90, 91, 92],
      Array.from({ length: bytes - 1 }, (_, i) => i + 1),
    ]) {
      const r = feed(stream, cuts).end(1000);
      expect(r).toMatchObject({
        completed: true,
        error: null,
        finishReason: "stop",
        inputTokens: 7,
        outputTokens: 4,
      });
      expect(r.completionChars).toBe("Grüße aus Köln ✓".length);
      expect(r.contentEvents).toBe(3);
      expect(r.completionChars).toBe(whole.completionChars);
    }
  });

  it("dates the first token at the chunk that completed it", () => {
    const first = chunk("Hi");
    const r = feed(first + chunk("!"), [10, first.length + 5]).end(1000);
    expect(r.firstTokenAt).toBe(101);
  });

  it("is not complete without [DONE]", () => {
    expect(feed(chunk("partial"), []).end(5).completed).toBe(false);
  });

  it("flags malformed lines and in-band errors", () => {
    expect(feed(chunk("a") + "data: {broken\n\n", []).end(1).error).toBe("malformed");
    const inband = chunk("a") + `data: ${JSON.stringify({ error: { message: "overloaded" } })}\n\n`;
    expect(feed(inband, [3]).end(1).error).toBe("inband_error");
  });

  it("understands Responses API streams", () => {
    const ev = (type: string, extra: object) =>
      `event: ${type}\ndata: ${JSON.stringify({ type, ...extra })}\n\n`;
    const text =
      ev("response.output_text.delta", { delta: "Hello" }) +
      ev("response.output_text.delta", { delta: " world" }) +
      ev("response.completed", {
        response: { status: "completed", usage: { input_tokens: 3, output_tokens: 2 } },
      });
    expect(feed(text, [17, 60]).end(1)).toMatchObject({
      completed: true,
      outputTokens: 2,
      inputTokens: 3,
      completionChars: 11,
    });
  });
});

describe("JSON inspection", () => {
  it("reads a chat completion split anywhere", () => {
    const body = JSON.stringify({
      choices: [{ message: { content: "Hallo Welt" }, finish_reason: "length" }],
      usage: { prompt_tokens: 5, completion_tokens: 2 },
    });
    const insp = new JsonInspector();
    const bytes = enc.encode(body);
    insp.push(bytes.slice(0, 13), 50);
    insp.push(bytes.slice(13), 60);
    expect(insp.end()).toMatchObject({
      completed: true,
      finishReason: "length",
      outputTokens: 2,
      completionChars: 10,
    });
  });

  it("flags a truncated body", () => {
    const insp = new JsonInspector();
    insp.push(enc.encode('{"choices":[{"mess'), 1);
    expect(insp.end().error).toBe("malformed");
  });
});
