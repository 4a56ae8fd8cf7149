// @ts-check
/**
 * The OpenAI endpoints the simulated origin serves, keyed "METHOD /path".
 */
import { chatCompletions } from "./chat.mjs";
import { textCompletions } from "./completions.mjs";
import { embeddings } from "./embeddings.mjs";
import { moderations, perspectiveAnalyze } from "./moderation.mjs";
import { responses } from "./responses.mjs";

/** @typedef {import("./shared.mjs").Call} Call */
/** @typedef {import("./shared.mjs").Reply} Reply */

/**
 * GET /v1/models: one model, named like the origin.
 * @param {Call} call
 * @returns {Reply}
 */
function models(call) {
  const model = { id: call.name, object: "model", created: 0, owned_by: "llm-canary-sim" };
  return { kind: "json", body: { object: "list", data: [model] } };
}

/** @type {Readonly<Record<string, (call: Call) => Reply>>} */
export const ROUTES = Object.freeze({
  "POST /v1/chat/completions": chatCompletions,
  "POST /v1/completions": textCompletions,
  "POST /v1/embeddings": embeddings,
  "POST /v1/responses": responses,
  "GET /v1/models": models,
  "POST /v1/moderations": moderations,
  "POST /v1alpha1/comments:analyze": perspectiveAnalyze,
});
