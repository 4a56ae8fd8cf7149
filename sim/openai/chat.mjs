// @ts-check
/**
 * POST /v1/chat/completions: `chat.completion` objects and
 * `chat.completion.chunk` streams, with the real API's field names.
 */
import { contentText, countTokens, isObject, logprobEntries, splitText } from "../text.mjs";
import {
  DONE_FRAME,
  answerText,
  dataFrame,
  inbandError,
  modelOf,
  nowSeconds,
  streamWanted,
  usageOf,
  usageWanted,
} from "./shared.mjs";

/** @typedef {import("./shared.mjs").Call} Call */
/** @typedef {import("./shared.mjs").Reply} Reply */
/** @typedef {import("./shared.mjs").StreamPlan} StreamPlan */
/** @typedef {{ id: string, object: string, created: number, model: string }} Base */

/** @param {Call} call */
function promptText(call) {
  const messages = Array.isArray(call.body.messages) ? call.body.messages : [];
  return messages.map((m) => (isObject(m) ? contentText(m.content) : "")).join(" ");
}

/**
 * @param {Call} call
 * @returns {Reply}
 */
export function chatCompletions(call) {
  const model = modelOf(call);
  const text = answerText(call, model);
  const usage = usageOf(promptText(call), text);
  const id = `chatcmpl-sim-${call.name}-${call.seq}`;
  const created = nowSeconds();
  if (streamWanted(call)) {
    const base = { id, object: "chat.completion.chunk", created, model };
    return { kind: "sse", plan: chatStream(call, base, text, usage) };
  }
  const logprobs =
    call.body.logprobs === true ? { content: logprobEntries(text), refusal: null } : null;
  return {
    kind: "json",
    body: {
      id,
      object: "chat.completion",
      created,
      model,
      system_fingerprint: "fp_sim",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: text, refusal: null },
          logprobs,
          finish_reason: "stop",
        },
      ],
      usage,
    },
  };
}

/**
 * Role delta, `chunks` content deltas, a finish chunk, an optional usage
 * chunk with empty choices, then [DONE].
 * @param {Call} call
 * @param {Base} base
 * @param {string} text
 * @param {ReturnType<typeof usageOf>} usage
 * @returns {StreamPlan}
 */
function chatStream(call, base, text, usage) {
  const withUsage = usageWanted(call);
  const withLogprobs = call.body.logprobs === true;
  // With include_usage the real API puts `usage: null` on every chunk but the last.
  const usageField = withUsage ? { usage: null } : {};
  /**
   * @param {Record<string, unknown>} delta
   * @param {string | null} finish
   * @param {unknown} [logprobs]
   */
  const chunk = (delta, finish, logprobs = null) =>
    dataFrame({
      ...base,
      system_fingerprint: "fp_sim",
      choices: [{ index: 0, delta, logprobs, finish_reason: finish }],
      ...usageField,
    });
  const pieces = splitText(text, call.behaviour.chunks);
  const tail = [chunk({}, "stop")];
  if (withUsage) {
    tail.push(dataFrame({ ...base, choices: [], usage }));
  }
  tail.push(DONE_FRAME);
  return {
    head: [chunk({ role: "assistant", content: "", refusal: null }, null)],
    deltas: pieces.map((piece) =>
      chunk(
        { content: piece },
        null,
        withLogprobs ? { content: logprobEntries(piece), refusal: null } : null,
      ),
    ),
    weights: pieces.map(countTokens),
    tail,
    errorFrame: dataFrame({ error: inbandError() }),
  };
}
