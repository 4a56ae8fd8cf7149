/**
 * Inline quality signals: computed at the edge from the bytes already relayed
 * to the client (never buffering the client's stream), recorded as outcome
 * metrics. Pure: the request body and the inspection in, metrics out.
 *
 * | metric            | value | when                                                        |
 * | ----------------- | ----- | ----------------------------------------------------------- |
 * | `empty`           | 0/1   | every answered request: no text and no tool call             |
 * | `truncated`       | 0/1   | finish reason known: `length`                                |
 * | `content_filter`  | 0/1   | finish reason known: `content_filter`                        |
 * | `refusal`         | 0/1   | answers with text or a `refusal` field                       |
 * | `json_valid`      | 0/1   | the request asked for JSON (`response_format`)               |
 * | `schema_valid`    | 0/1   | the request gave a `json_schema`                             |
 * | `tool_args_valid` | 0/1   | the answer called tools: every argument string is JSON       |
 * | `repetition`      | 0..1  | answers of at least 20 words: share of repeated 4-grams      |
 * | `mean_logprob`    | ≤ 0   | the origin returned token logprobs                           |
 */
import type { Inspection } from "../proxy/inspect";
import { validateJsonSchema } from "./json-schema";
import { isRefusal } from "./refusal";
import { repetitionScore } from "./repetition";

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function parses(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** What the request asked for: `json_object`, `json_schema` (with its schema), or nothing. */
export function requestedFormat(
  body: Record<string, unknown>,
): { kind: "none" } | { kind: "json" } | { kind: "schema"; schema: unknown } {
  const rf = isObj(body.response_format)
    ? body.response_format
    : isObj(body.text) && isObj(body.text.format)
      ? body.text.format
      : null;
  if (!rf) return { kind: "none" };
  if (rf.type === "json_object") return { kind: "json" };
  if (rf.type === "json_schema") {
    const holder = isObj(rf.json_schema) ? rf.json_schema : rf;
    return { kind: "schema", schema: holder.schema };
  }
  return { kind: "none" };
}

export function qualitySignals(
  body: Record<string, unknown>,
  insp: Inspection,
  refusalPhrases?: readonly string[],
): Record<string, number> {
  const m: Record<string, number> = {};
  const toolCalls = insp.toolArgs.filter((a) => a !== undefined);
  const hasText = insp.text.trim().length > 0;
  m.empty = !hasText && toolCalls.length === 0 && !insp.refused ? 1 : 0;
  if (insp.finishReason !== null) {
    m.truncated = insp.finishReason === "length" ? 1 : 0;
    m.content_filter = insp.finishReason === "content_filter" ? 1 : 0;
  }
  if (hasText || insp.refused)
    m.refusal = insp.refused || isRefusal(insp.text, refusalPhrases) ? 1 : 0;
  const format = requestedFormat(body);
  if (format.kind !== "none" && hasText) {
    const parsed = parses(insp.text);
    m.json_valid = parsed.ok ? 1 : 0;
    if (format.kind === "schema") {
      m.schema_valid =
        parsed.ok && validateJsonSchema(format.schema, parsed.value).length === 0 ? 1 : 0;
    }
  }
  if (toolCalls.length > 0) m.tool_args_valid = toolCalls.every((a) => parses(a).ok) ? 1 : 0;
  const rep = repetitionScore(insp.text);
  if (rep !== null) m.repetition = rep;
  if (insp.logprobCount > 0) m.mean_logprob = insp.logprobSum / insp.logprobCount;
  return m;
}
