// @ts-check
/**
 * Deterministic randomness for the simulated origin. Fault injection must be
 * reproducible, so nothing here touches Math.random.
 */

/** @typedef {import("./behaviour.mjs").Behaviour} Behaviour */

/**
 * 32-bit FNV-1a; derives seeds and per-token values from strings.
 * @param {string} text
 * @returns {number}
 */
export function fnv1a(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32 (contracts/random.mjs): tiny and good enough for fault injection. */
export { mulberry32 } from "../contracts/random.mjs";

/** @typedef {{ status: number, retryAfterS?: number }} Fault */

/**
 * Decides whether a request gets an injected error. It draws twice on every
 * request whatever the rates, so the n-th decision of a stream depends only
 * on n, not on which overrides earlier requests carried.
 * @param {() => number} rng
 * @param {Pick<Behaviour, "rate429" | "retryAfterS" | "errorRate" | "errorStatus">} b
 * @returns {Fault | null}
 */
export function drawFault(rng, b) {
  const r429 = rng();
  const rError = rng();
  if (r429 < b.rate429) return { status: 429, retryAfterS: b.retryAfterS };
  if (rError < b.errorRate) return { status: b.errorStatus };
  return null;
}
