// @ts-check
/**
 * What every simulated OpenAI endpoint shares: the call/reply contract
 * between the HTTP layer and the pure route builders, SSE framing, and the
 * OpenAI error shape.
 *
 * Builders never touch sockets or timers: they turn a request body into a
 * JSON body or a StreamPlan, and the HTTP layer applies delays and faults.
 */
import { modeText } from "../quality.mjs";
import { countTokens, isObject } from "../text.mjs";
import { judgeReply } from "./judge.mjs";

/** @typedef {import("../behaviour.mjs").Behaviour} Behaviour */

/**
 * @typedef {object} Call
 * @property {string} name Origin name.
 * @property {Behaviour} behaviour Effective behaviour for this request.
 * @property {number} seq Per-server request number, used to build ids.
 * @property {Record<string, unknown>} body Parsed JSON body (empty for GET).
 */

/**
 * @typedef {object} StreamPlan
 * @property {string[]} head Frames sent right after the headers.
 * @property {string[]} deltas Content frames; the stream faults count these.
 * @property {number[]} weights Words per content frame, for `tokensPerSec` pacing.
 * @property {string[]} tail Frames after the content (finish, usage, [DONE]).
 * @property {string} errorFrame What `inbandError` sends in place of the rest.
 */

/** @typedef {{ kind: "json", body: Record<string, unknown> } | { kind: "sse", plan: StreamPlan }} Reply */

/**
 * @param {unknown} payload
 * @returns {string} one Chat/Completions-style SSE frame
 */
export function dataFrame(payload) {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

/** Chat and legacy completion streams end with this sentinel; Responses streams do not. */
export const DONE_FRAME = "data: [DONE]\n\n";

/**
 * Responses API streams name each event, unlike Chat Completions.
 * @param {string} type
 * @param {Record<string, unknown>} payload
 * @returns {string}
 */
export function eventFrame(type, payload) {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`;
}

/**
 * Index of the content chunk before which `malformedSse` and `inbandError`
 * strike ("midway").
 * @param {number} chunks
 */
export function midpoint(chunks) {
  return Math.floor(chunks / 2);
}

/** Sent by `malformedSse`: truncated JSON, as a proxy cutting a line would leave. */
export const MALFORMED_FRAME = 'data: {"id":"sim-malformed","choices":[{"delta":{"content":\n\n';

/** The error object `inbandError` puts in the middle of a stream. */
export function inbandError() {
  return {
    message: "The server had an error while processing your request.",
    type: "server_error",
    param: null,
    code: "simulated_inband_error",
  };
}

/**
 * The request's `model`, echoed back like the real API does.
 * @param {Call} call
 */
export function modelOf(call) {
  return typeof call.body.model === "string" ? call.body.model : call.name;
}

/**
 * @param {Call} call
 * @param {string} model
 */
export function answerText(call, model) {
  const judged = judgeReply(call.body);
  if (judged !== null) return judged;
  if (call.behaviour.text !== undefined) return call.behaviour.text;
  if (call.behaviour.mode !== undefined) return modeText(call.behaviour.mode);
  return (
    `Hello from the ${call.name} origin, answering as ${model}. ` +
    "This is a deterministic simulated reply for canary testing."
  );
}

/** @param {Call} call */
export function streamWanted(call) {
  return call.body.stream === true;
}

/** @param {Call} call */
export function usageWanted(call) {
  const options = call.body.stream_options;
  return isObject(options) && options.include_usage === true;
}

/**
 * Chat/Completions `usage`, counted in words (see ../text.mjs).
 * @param {string} prompt
 * @param {string} completion
 */
export function usageOf(prompt, completion) {
  const promptTokens = countTokens(prompt);
  const completionTokens = countTokens(completion);
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

/** Unix seconds, the unit of OpenAI's `created` fields. */
export function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

/**
 * OpenAI-shaped error body.
 * @param {number} status
 * @param {string} message
 */
export function errorBody(status, message) {
  if (status === 429) {
    return { error: { message, type: "requests", param: null, code: "rate_limit_exceeded" } };
  }
  const type = status >= 500 ? "server_error" : "invalid_request_error";
  return { error: { message, type, param: null, code: null } };
}

/**
 * Messages of injected errors, worded like the real API's.
 * @param {number} status
 */
export function faultMessage(status) {
  if (status === 429) return "Rate limit reached for requests (simulated).";
  if (status === 503) return "The server is overloaded or not ready yet.";
  if (status >= 500) return "The server had an error while processing your request.";
  return `Simulated error ${status}.`;
}
