// @ts-check
/**
 * POST /v1/embeddings: a deterministic 8-dimensional unit vector per input.
 * The official SDKs ask for `encoding_format: "base64"` (little-endian
 * float32) unless told otherwise, so both encodings are served.
 */
/* global btoa */
import { mulberry32, fnv1a } from "../random.mjs";
import { contentText, countTokens } from "../text.mjs";
import { modelOf } from "./shared.mjs";

/** @typedef {import("./shared.mjs").Call} Call */
/** @typedef {import("./shared.mjs").Reply} Reply */

const DIMENSIONS = 8;

/**
 * @param {unknown} input
 * @returns {number[]}
 */
export function embeddingVector(input) {
  const rng = mulberry32(fnv1a(JSON.stringify(input)));
  const raw = Array.from({ length: DIMENSIONS }, () => rng() * 2 - 1);
  const norm = Math.hypot(...raw) || 1;
  // Rounded to float32 so the JSON and base64 encodings carry the same values.
  return raw.map((v) => Math.fround(v / norm));
}

/** @param {number[]} vector */
function toBase64(vector) {
  const bytes = new Uint8Array(new Float32Array(vector).buffer);
  return btoa(String.fromCharCode(...bytes));
}

/**
 * `input` may be a string, strings, a token array or token arrays.
 * @param {unknown} input
 * @returns {unknown[]}
 */
function inputsOf(input) {
  if (!Array.isArray(input)) return [input];
  if (input.length > 0 && input.every((x) => typeof x === "number")) return [input];
  return input;
}

/**
 * @param {Call} call
 * @returns {Reply}
 */
export function embeddings(call) {
  const inputs = inputsOf(call.body.input);
  const base64 = call.body.encoding_format === "base64";
  const data = inputs.map((input, index) => {
    const vector = embeddingVector(input);
    return { object: "embedding", index, embedding: base64 ? toBase64(vector) : vector };
  });
  const tokens = inputs.reduce(
    /** @param {number} sum */
    (sum, input) => sum + (Array.isArray(input) ? input.length : countTokens(contentText(input))),
    0,
  );
  return {
    kind: "json",
    body: {
      object: "list",
      data,
      model: modelOf(call),
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    },
  };
}
