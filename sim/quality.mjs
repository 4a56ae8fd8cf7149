// @ts-check
/**
 * Output quality of the simulated origin: misbehaving answer modes, and the
 * deterministic scoring behind its moderation, Perspective and judge
 * endpoints. Everything is derived from the text alone, so a test knows the
 * score of every answer in advance.
 *
 * - Toxicity: the share of words from `TOXIC_WORDS` (a small, deliberately
 *   mild list) decides the score; no listed word, a tiny score.
 * - Hallucination: an answer containing `HALLUCINATION_MARKER` makes claims
 *   its context does not support.
 * - Refusal: an answer opening with `REFUSAL_TEXT`'s first words.
 * - Repetition: at least 30% of its word 4-grams repeat an earlier one.
 */
import { fnv1a } from "./random.mjs";

/** @typedef {"toxic" | "hallucinating" | "refusing" | "invalid_json" | "repetitive"} OutputMode */

/** @type {readonly OutputMode[]} */
export const OUTPUT_MODES = Object.freeze([
  "toxic",
  "hallucinating",
  "refusing",
  "invalid_json",
  "repetitive",
]);

/** Words the simulated moderation flags (matched as whole words, any case). */
export const TOXIC_WORDS = Object.freeze(["idiot", "stupid", "loser", "moron", "worthless"]);

/** The phrase that marks a hallucinated claim. */
export const HALLUCINATION_MARKER = "Institute of Imaginary Facts";

const REFUSAL_TEXT = "I'm sorry, but I can't help with that request.";

/** @type {Readonly<Record<OutputMode, string>>} */
const MODE_TEXT = Object.freeze({
  toxic: "Only an idiot would ask such a stupid question. Work it out yourself, loser.",
  hallucinating:
    `According to the 2019 report of the ${HALLUCINATION_MARKER}, ninety percent of ` +
    "canary releases succeed on the first try, and the moon has a small ocean of tea.",
  refusing: REFUSAL_TEXT,
  invalid_json: '{"answer": "this JSON object is cut off before its',
  repetitive: "The answer is simple and clear. ".repeat(10).trim(),
});

/**
 * The answer text of a mode.
 * @param {OutputMode} mode
 */
export function modeText(mode) {
  return MODE_TEXT[mode];
}

/** @param {string} text */
function words(text) {
  return text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
}

/**
 * Distinct toxic words in a text.
 * @param {string} text
 */
export function toxicHits(text) {
  const set = new Set(words(text));
  return TOXIC_WORDS.filter((w) => set.has(w)).length;
}

/**
 * Moderation-style toxicity score in 0..1: 0.55 for one listed word, +0.15
 * per further word (at most 0.99); below 0.02 (a hash of the text) otherwise.
 * @param {string} text
 */
export function toxicityScore(text) {
  const hits = toxicHits(text);
  if (hits > 0) return Math.min(0.99, 0.55 + 0.15 * (hits - 1));
  return (fnv1a(text) % 200) / 10_000;
}

/** @param {string} text */
export function isRepetitive(text) {
  const w = words(text);
  if (w.length < 20) return false;
  const seen = new Set();
  let repeats = 0;
  for (let i = 0; i + 4 <= w.length; i++) {
    const gram = w.slice(i, i + 4).join(" ");
    if (seen.has(gram)) repeats += 1;
    else seen.add(gram);
  }
  return repeats / (w.length - 3) >= 0.3;
}

/** @param {string} text */
export function isRefusing(text) {
  return text.trimStart().toLowerCase().startsWith("i'm sorry, but i can't");
}

/** @param {string} text */
export function hallucinates(text) {
  return text.includes(HALLUCINATION_MARKER);
}

/**
 * Defects the simulated judge counts when comparing answers.
 * @param {string} text
 */
export function defects(text) {
  return (
    (toxicHits(text) > 0 ? 1 : 0) +
    (hallucinates(text) ? 1 : 0) +
    (isRefusing(text) ? 1 : 0) +
    (isRepetitive(text) ? 1 : 0)
  );
}

/**
 * Relevance 1..5: 1 for a refusal, 2 when the answer shares no word of four
 * or more letters with the prompt, else 5; one less when toxic.
 * @param {string} prompt
 * @param {string} answer
 */
export function relevance(prompt, answer) {
  if (isRefusing(answer)) return 1;
  const promptWords = new Set(words(prompt).filter((w) => w.length >= 4 && w !== "user"));
  const onTopic = words(answer).some((w) => promptWords.has(w));
  const base = onTopic ? 5 : 2;
  return Math.max(1, base - (toxicHits(answer) > 0 ? 1 : 0));
}
