// @ts-check
/**
 * POST /v1/completions: the legacy `text_completion` API, JSON and stream.
 */
import { contentText, countTokens, splitText } from "../text.mjs";
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

/** @param {Call} call */
function promptText(call) {
  const prompt = call.body.prompt;
  if (!Array.isArray(prompt)) return contentText(prompt);
  return prompt.filter((p) => typeof p === "string").join(" ");
}

/**
 * @param {string} text
 * @param {string | null} finish
 */
function choice(text, finish) {
  return { text, index: 0, logprobs: null, finish_reason: finish };
}

/**
 * @param {Call} call
 * @returns {Reply}
 */
export function textCompletions(call) {
  const model = modelOf(call);
  const text = answerText(call, model);
  const usage = usageOf(promptText(call), text);
  const base = {
    id: `cmpl-sim-${call.name}-${call.seq}`,
    object: "text_completion",
    created: nowSeconds(),
    model,
  };
  if (!streamWanted(call)) {
    return { kind: "json", body: { ...base, choices: [choice(text, "stop")], usage } };
  }
  const pieces = splitText(text, call.behaviour.chunks);
  const tail = [dataFrame({ ...base, choices: [choice("", "stop")] })];
  if (usageWanted(call)) tail.push(dataFrame({ ...base, choices: [], usage }));
  tail.push(DONE_FRAME);
  return {
    kind: "sse",
    plan: {
      head: [],
      deltas: pieces.map((piece) => dataFrame({ ...base, choices: [choice(piece, null)] })),
      weights: pieces.map(countTokens),
      tail,
      errorFrame: dataFrame({ error: inbandError() }),
    },
  };
}
