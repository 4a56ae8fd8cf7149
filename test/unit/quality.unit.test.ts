import { describe, expect, it } from "vitest";
import { SseInspector, type Inspection } from "../../worker/proxy/inspect";
import { validateJsonSchema } from "../../worker/quality/json-schema";
import { isRefusal } from "../../worker/quality/refusal";
import { repetitionScore } from "../../worker/quality/repetition";
import { qualitySignals } from "../../worker/quality/signals";

const enc = new TextEncoder();

/** Streams `events` as SSE, split into `pieces`-byte chunks, and returns the inspection. */
function streamed(events: object[], pieces: number): Inspection {
  const text = events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join("") + "data: [DONE]\n\n";
  const bytes = enc.encode(text);
  const insp = new SseInspector();
  for (let i = 0; i < bytes.length; i += pieces) insp.push(bytes.slice(i, i + pieces), i);
  return insp.end(bytes.length);
}

const delta = (d: object, finish: string | null = null, logprobs?: object) => ({
  choices: [{ index: 0, delta: d, finish_reason: finish, ...(logprobs ? { logprobs } : {}) }],
});

describe("inline quality signals", () => {
  it("flags an empty answer and finish reasons", () => {
    const empty = streamed([delta({ role: "assistant" }), delta({}, "stop")], 7);
    expect(qualitySignals({}, empty)).toMatchObject({ empty: 1, truncated: 0, content_filter: 0 });
    const cut = streamed([delta({ content: "Half an ans" }), delta({}, "length")], 5);
    expect(qualitySignals({}, cut)).toMatchObject({ empty: 0, truncated: 1 });
    const filtered = streamed([delta({ content: "x" }), delta({}, "content_filter")], 3);
    expect(qualitySignals({}, filtered).content_filter).toBe(1);
  });

  it("detects refusals by opening phrase or refusal field, not deep in the text", () => {
    expect(isRefusal("  I’m sorry, but I can’t help with that request.")).toBe(true);
    expect(isRefusal(`Here is the plan. ${"x ".repeat(100)} I can't help with that part.`)).toBe(
      false,
    );
    expect(isRefusal("Nope.", ["nope"])).toBe(true);
    const field = streamed([delta({ refusal: "I can't comply" }), delta({}, "stop")], 4);
    expect(qualitySignals({}, field)).toMatchObject({ refusal: 1, empty: 0 });
  });

  it("checks requested JSON even when the stream splits it mid-token", () => {
    const body = { response_format: { type: "json_object" } };
    const good = streamed(
      [delta({ content: '{"a": [1, 2' }), delta({ content: ', 3], "b": "ü"}' }), delta({}, "stop")],
      3,
    );
    expect(qualitySignals(body, good).json_valid).toBe(1);
    const bad = streamed([delta({ content: '{"a": [1, 2' }), delta({}, "stop")], 2);
    expect(qualitySignals(body, bad).json_valid).toBe(0);
    expect(qualitySignals({}, good).json_valid).toBeUndefined();
  });

  it("validates json_schema answers", () => {
    const schema = {
      type: "object",
      properties: { name: { type: "string" }, age: { type: "integer", minimum: 0 } },
      required: ["name", "age"],
      additionalProperties: false,
    };
    const body = {
      response_format: { type: "json_schema", json_schema: { name: "p", schema, strict: true } },
    };
    const ok = streamed(
      [delta({ content: '{"name":"Ada",' }), delta({ content: '"age":36}' }), delta({}, "stop")],
      5,
    );
    expect(qualitySignals(body, ok)).toMatchObject({ json_valid: 1, schema_valid: 1 });
    const wrong = streamed(
      [delta({ content: '{"name":"Ada","age":-1,"x":1}' }), delta({}, "stop")],
      5,
    );
    expect(qualitySignals(body, wrong)).toMatchObject({ json_valid: 1, schema_valid: 0 });
  });

  it("checks tool-call arguments assembled across chunks", () => {
    const call = (args: string, index = 0) =>
      delta({ tool_calls: [{ index, function: { arguments: args } }] });
    const ok = streamed(
      [call('{"city":'), call('"Paris"}'), call("{}", 1), delta({}, "tool_calls")],
      6,
    );
    expect(qualitySignals({}, ok)).toMatchObject({ tool_args_valid: 1, empty: 0 });
    const bad = streamed([call('{"city":'), delta({}, "tool_calls")], 6);
    expect(qualitySignals({}, bad).tool_args_valid).toBe(0);
  });

  it("scores repetition and mean logprob", () => {
    const loop = "the cat sat on the mat ".repeat(10);
    // 60 words, 57 four-grams, 6 distinct (the cycle has length 6): 51 repeats.
    expect(repetitionScore(loop)).toBeCloseTo(51 / 57, 10);
    expect(repetitionScore("short answer")).toBeNull();
    const varied = Array.from({ length: 40 }, (_, i) => `word${i}`).join(" ");
    expect(repetitionScore(varied)).toBe(0);
    const lp = (v: number) => ({ content: [{ token: "a", logprob: v }] });
    const insp = streamed(
      [
        delta({ content: "a" }, null, lp(-0.5)),
        delta({ content: "b" }, null, lp(-1.5)),
        delta({}, "stop"),
      ],
      9,
    );
    expect(qualitySignals({}, insp).mean_logprob).toBeCloseTo(-1, 10);
  });
});

describe("JSON schema subset", () => {
  it("handles refs, anyOf, arrays and enums", () => {
    const schema = {
      $defs: {
        item: { type: "object", properties: { kind: { enum: ["a", "b"] } }, required: ["kind"] },
      },
      type: "object",
      properties: {
        items: { type: "array", items: { $ref: "#/$defs/item" }, minItems: 1 },
        v: { anyOf: [{ type: "string" }, { type: "null" }] },
      },
    };
    expect(validateJsonSchema(schema, { items: [{ kind: "a" }], v: null })).toEqual([]);
    expect(validateJsonSchema(schema, { items: [{ kind: "c" }], v: 3 })).toEqual([
      "$.items[0].kind: not one of the allowed values",
      "$.v: matches none of anyOf",
    ]);
    expect(validateJsonSchema(schema, { items: [] })).toEqual(["$.items: fewer than 1 items"]);
  });
});
