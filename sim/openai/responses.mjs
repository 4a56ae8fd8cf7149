// @ts-check
/**
 * POST /v1/responses: a minimal Responses API. JSON gives a completed
 * `response` object; streams emit `response.created`, one
 * `response.output_text.delta` per chunk, `response.output_text.done` and
 * `response.completed` as named SSE events (no [DONE], like the real API).
 */
import { contentText, countTokens, isObject, splitText } from "../text.mjs";
import {
  answerText,
  eventFrame,
  inbandError,
  midpoint,
  modelOf,
  nowSeconds,
  streamWanted,
} from "./shared.mjs";

/** @typedef {import("./shared.mjs").Call} Call */
/** @typedef {import("./shared.mjs").Reply} Reply */
/** @typedef {import("./shared.mjs").StreamPlan} StreamPlan */

/** @param {Call} call */
function promptText(call) {
  const input = call.body.input;
  const instructions = typeof call.body.instructions === "string" ? call.body.instructions : "";
  const items = Array.isArray(input)
    ? input.map((item) => (isObject(item) ? contentText(item.content) : ""))
    : [contentText(input)];
  return [instructions, ...items].join(" ");
}

/**
 * @param {Call} call
 * @returns {Reply}
 */
export function responses(call) {
  const model = modelOf(call);
  const text = answerText(call, model);
  const inputTokens = countTokens(promptText(call));
  const outputTokens = countTokens(text);
  const itemId = `msg_sim_${call.name}_${call.seq}`;
  const base = {
    id: `resp_sim_${call.name}_${call.seq}`,
    object: "response",
    created_at: nowSeconds(),
    model,
    error: null,
  };
  const completed = {
    ...base,
    status: "completed",
    output: [
      {
        type: "message",
        id: itemId,
        status: "completed",
        role: "assistant",
        content: [{ type: "output_text", text, annotations: [] }],
      },
    ],
    usage: {
      input_tokens: inputTokens,
      output_tokens: outputTokens,
      total_tokens: inputTokens + outputTokens,
    },
  };
  if (!streamWanted(call)) return { kind: "json", body: completed };
  return { kind: "sse", plan: responsesStream(call, base, itemId, text, completed) };
}

/**
 * @param {Call} call
 * @param {Record<string, unknown>} base
 * @param {string} itemId
 * @param {string} text
 * @param {Record<string, unknown>} completed
 * @returns {StreamPlan}
 */
function responsesStream(call, base, itemId, text, completed) {
  const pieces = splitText(text, call.behaviour.chunks);
  const at = { item_id: itemId, output_index: 0, content_index: 0 };
  let seq = 0;
  const head = [
    eventFrame("response.created", {
      sequence_number: seq++,
      response: { ...base, status: "in_progress", output: [], usage: null },
    }),
  ];
  const deltas = pieces.map((delta) =>
    eventFrame("response.output_text.delta", { sequence_number: seq++, ...at, delta }),
  );
  const tail = [
    eventFrame("response.output_text.done", { sequence_number: seq++, ...at, text }),
    eventFrame("response.completed", { sequence_number: seq++, response: completed }),
  ];
  const { message, code } = inbandError();
  // Real Responses streams report failures as a named `error` event.
  const errorSeq = head.length + midpoint(pieces.length);
  const errorFrame = eventFrame("error", { sequence_number: errorSeq, code, message, param: null });
  return { head, deltas, weights: pieces.map(countTokens), tail, errorFrame };
}
