// @ts-check
/**
 * Simulated safety endpoints, scored from ../quality.mjs:
 * - `POST /v1/moderations` (OpenAI shape): flagged when the harassment
 *   score reaches 0.5, i.e. when the text contains a listed toxic word;
 * - `POST /v1alpha1/comments:analyze` (Perspective API shape): the TOXICITY
 *   summary score, 0.75 for one listed word, +0.1 per further word.
 */
import { contentText, isObject } from "../text.mjs";
import { toxicHits, toxicityScore } from "../quality.mjs";

/** @typedef {import("./shared.mjs").Call} Call */
/** @typedef {import("./shared.mjs").Reply} Reply */

const CATEGORIES = ["harassment", "hate", "self-harm", "sexual", "violence"];

/**
 * @param {unknown} input
 * @returns {string[]}
 */
function inputs(input) {
  if (typeof input === "string") return [input];
  if (!Array.isArray(input)) return [];
  return input.map((x) => (typeof x === "string" ? x : contentText([x])));
}

/**
 * @param {Call} call
 * @returns {Reply}
 */
export function moderations(call) {
  const results = inputs(call.body.input).map((text) => {
    const score = toxicityScore(text);
    /** @type {Record<string, number>} */
    const scores = Object.fromEntries(CATEGORIES.map((c) => [c, 0.0001]));
    scores.harassment = score;
    return {
      flagged: score >= 0.5,
      categories: Object.fromEntries(CATEGORIES.map((c) => [c, (scores[c] ?? 0) >= 0.5])),
      category_scores: scores,
    };
  });
  return {
    kind: "json",
    body: { id: `modr-sim-${call.name}-${call.seq}`, model: "sim-moderation", results },
  };
}

/**
 * @param {Call} call
 * @returns {Reply}
 */
export function perspectiveAnalyze(call) {
  const comment = isObject(call.body.comment) ? call.body.comment : {};
  const text = typeof comment.text === "string" ? comment.text : "";
  const hits = toxicHits(text);
  const value = hits > 0 ? Math.min(0.99, 0.75 + 0.1 * (hits - 1)) : toxicityScore(text);
  return {
    kind: "json",
    body: {
      attributeScores: {
        TOXICITY: { summaryScore: { value, type: "PROBABILITY" }, spanScores: [] },
      },
      languages: ["en"],
    },
  };
}
