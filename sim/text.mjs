// @ts-check
/**
 * Text helpers for the simulated answers.
 *
 * A "token" here is a whitespace-separated word: usage counts words, stream
 * pieces split on word boundaries and logprobs are given per word. That is
 * far from a real tokenizer and deliberately so: counts are easy to predict
 * in tests.
 */
import { fnv1a } from "./random.mjs";

/**
 * @param {string} text
 * @returns {number} whitespace-separated words
 */
export function countTokens(text) {
  return text.split(/\s+/).filter(Boolean).length;
}

/**
 * Words with their surrounding whitespace, so joining them gives back the text.
 * @param {string} text
 * @returns {string[]}
 */
export function wordPieces(text) {
  return text.match(/\s*\S+\s*/g) ?? [];
}

/**
 * Splits text into exactly `n` consecutive pieces whose concatenation is the
 * text: on word boundaries when there are enough words, on characters
 * otherwise (pieces may then be empty if the text is shorter than `n`).
 * @param {string} text
 * @param {number} n
 * @returns {string[]}
 */
export function splitText(text, n) {
  const words = wordPieces(text);
  const units = words.length >= n ? words : Array.from(text);
  return Array.from({ length: n }, (_, i) =>
    units
      .slice(Math.floor((i * units.length) / n), Math.floor(((i + 1) * units.length) / n))
      .join(""),
  );
}

const encoder = new TextEncoder();

/**
 * OpenAI `logprobs.content` entries; the value is a hash of the token so the
 * same answer always carries the same logprobs.
 * @param {string} text
 */
export function logprobEntries(text) {
  return wordPieces(text).map((token) => ({
    token,
    logprob: -(fnv1a(token) % 5000) / 1000,
    bytes: Array.from(encoder.encode(token)),
    top_logprobs: [],
  }));
}

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
export function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Text of an OpenAI `content` value: a string or an array of parts with `text`.
 * @param {unknown} content
 * @returns {string}
 */
export function contentText(content) {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) => (isObject(part) && typeof part.text === "string" ? part.text : ""))
    .join(" ");
}
