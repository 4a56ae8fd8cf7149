// @ts-check
/* global URLSearchParams */
/**
 * Behaviour fields of the simulated origin: their types, defaults and
 * validation, and the `/x/<urlencoded query>` per-request override prefix.
 *
 * One table (FIELDS) drives option validation, prefix overrides and CLI
 * flags, so the three can never disagree about what a field is. Unknown names
 * are rejected because a typo in a test override would otherwise silently
 * test nothing.
 */
import { OUTPUT_MODES } from "./quality.mjs";

/**
 * @typedef {object} Behaviour
 * @property {number} latencyMs Delay before response headers; the whole delay of a JSON answer.
 * @property {number} ttftMs Streams: delay between the role delta and the first content chunk.
 * @property {number} chunkIntervalMs Streams: delay between content chunks.
 * @property {number} tokensPerSec Streams: extra pacing per chunk (its words / rate); 0 = off.
 * @property {number} chunks Streams: number of content chunks the answer is split into.
 * @property {string} [text] Answer text; defaults to a sentence naming the origin and model.
 * @property {number} errorRate Probability (0..1) of answering `errorStatus`.
 * @property {number} errorStatus Status of injected errors.
 * @property {number} rate429 Probability (0..1) of a 429 with `Retry-After`.
 * @property {number} retryAfterS Value of `Retry-After` on injected 429s.
 * @property {number} stallHeadersMs Hold the request this long before sending headers.
 * @property {number} [stallAfterChunks] Streams: after N content chunks stop sending, keep the socket.
 *   JSON answers: half the body, then silence.
 * @property {number} [cutAfterChunks] Streams: after N content chunks destroy the socket (no [DONE]).
 *   JSON answers: half the body, then the socket is destroyed.
 * @property {boolean} malformedSse Streams: emit one unparseable `data:` line midway.
 * @property {boolean} inbandError Streams: emit an error event midway, then end.
 * @property {boolean} echoHeaders Echo request headers (`sim.headers`, or `: headers` SSE comment).
 * @property {number} splitEchoMs Streams: write the header echo in two pieces cut inside the
 *   `authorization` value, this many ms apart (so they arrive as separate reads); 0 = one write.
 * @property {number} [seed] PRNG seed; defaults to a hash of the origin name.
 * @property {string} [redirect] Answer 302 with this `Location`.
 * @property {string} [tag] Label for the recorded request and its PRNG stream.
 * @property {import("./quality.mjs").OutputMode} [mode] Answer like a misbehaving model (see quality.mjs).
 */

/**
 * @typedef {{ kind: "number", min?: number, max?: number, integer?: boolean }
 *   | { kind: "boolean" }
 *   | { kind: "string" }
 *   | { kind: "enum", values: readonly string[] }} FieldSpec
 */

/** @type {Readonly<Record<keyof Behaviour, FieldSpec>>} */
export const FIELDS = Object.freeze({
  latencyMs: { kind: "number", min: 0 },
  ttftMs: { kind: "number", min: 0 },
  chunkIntervalMs: { kind: "number", min: 0 },
  tokensPerSec: { kind: "number", min: 0 },
  chunks: { kind: "number", min: 1, integer: true },
  text: { kind: "string" },
  errorRate: { kind: "number", min: 0, max: 1 },
  errorStatus: { kind: "number", min: 400, max: 599, integer: true },
  rate429: { kind: "number", min: 0, max: 1 },
  retryAfterS: { kind: "number", min: 0, integer: true },
  stallHeadersMs: { kind: "number", min: 0 },
  stallAfterChunks: { kind: "number", min: 0, integer: true },
  cutAfterChunks: { kind: "number", min: 0, integer: true },
  malformedSse: { kind: "boolean" },
  inbandError: { kind: "boolean" },
  echoHeaders: { kind: "boolean" },
  splitEchoMs: { kind: "number", min: 0 },
  seed: { kind: "number", integer: true },
  redirect: { kind: "string" },
  tag: { kind: "string" },
  mode: { kind: "enum", values: OUTPUT_MODES },
});

/** A healthy, fast model. @type {Readonly<Behaviour>} */
export const DEFAULTS = Object.freeze({
  latencyMs: 0,
  ttftMs: 0,
  chunkIntervalMs: 0,
  tokensPerSec: 0,
  chunks: 8,
  errorRate: 0,
  errorStatus: 503,
  rate429: 0,
  retryAfterS: 30,
  stallHeadersMs: 0,
  malformedSse: false,
  inbandError: false,
  echoHeaders: false,
  splitEchoMs: 0,
});

/**
 * @param {string} key
 * @returns {key is keyof Behaviour}
 */
export function isField(key) {
  return Object.hasOwn(FIELDS, key);
}

/** @typedef {{ ok: true, value: number | boolean | string } | { ok: false, error: string }} Coerced */

/**
 * Coerces one raw value (a string from a URL or the CLI, or an already typed
 * value from JS options) to the field's type and checks its range.
 * @param {keyof Behaviour} key
 * @param {unknown} raw
 * @returns {Coerced}
 */
function coerceField(key, raw) {
  const spec = FIELDS[key];
  switch (spec.kind) {
    case "string":
      return typeof raw === "string" ? { ok: true, value: raw } : fail(key, "must be a string");
    case "enum":
      return typeof raw === "string" && spec.values.includes(raw)
        ? { ok: true, value: raw }
        : fail(key, `must be one of ${spec.values.join(", ")}`);
    case "boolean":
      return coerceBoolean(key, raw);
    case "number":
      return coerceNumber(key, spec, raw);
  }
}

/**
 * A bare flag (`?echoHeaders`, `--echo-headers`) arrives as "" and means true.
 * @param {string} key
 * @param {unknown} raw
 * @returns {Coerced}
 */
function coerceBoolean(key, raw) {
  if (raw === true || raw === "" || raw === "true" || raw === "1") return { ok: true, value: true };
  if (raw === false || raw === "false" || raw === "0") return { ok: true, value: false };
  return fail(key, "must be true or false");
}

/**
 * @param {string} key
 * @param {{ min?: number, max?: number, integer?: boolean }} spec
 * @param {unknown} raw
 * @returns {Coerced}
 */
function coerceNumber(key, spec, raw) {
  const n = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : raw;
  if (typeof n !== "number" || !Number.isFinite(n)) return fail(key, "must be a number");
  if (spec.integer && !Number.isInteger(n)) return fail(key, "must be an integer");
  if (spec.min !== undefined && n < spec.min) return fail(key, `must be >= ${spec.min}`);
  if (spec.max !== undefined && n > spec.max) return fail(key, `must be <= ${spec.max}`);
  return { ok: true, value: n };
}

/**
 * @param {string} key
 * @param {string} problem
 * @returns {{ ok: false, error: string }}
 */
function fail(key, problem) {
  return { ok: false, error: `${key} ${problem}` };
}

/**
 * Validates a set of behaviour fields; `undefined` values are skipped.
 *
 * @example
 *   parseBehaviour(new URLSearchParams("errorRate=1&tag=t1"));
 *   // => { ok: true, value: { errorRate: 1, tag: "t1" } }
 *
 * @param {Iterable<[string, unknown]>} entries
 * @returns {{ ok: true, value: Partial<Behaviour> } | { ok: false, error: string }}
 */
export function parseBehaviour(entries) {
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const [key, raw] of entries) {
    if (raw === undefined) continue;
    if (!isField(key)) return { ok: false, error: `unknown behaviour field "${key}"` };
    const result = coerceField(key, raw);
    if (!result.ok) return result;
    out[key] = result.value;
  }
  return { ok: true, value: /** @type {Partial<Behaviour>} */ (out) };
}

/**
 * Splits an optional `/x/<urlencoded query>` prefix off a request path.
 *
 * @example
 *   splitPrefix("/x/cutAfterChunks%3D3%26tag%3Dabc/v1/chat/completions");
 *   // => { path: "/v1/chat/completions", overrides: { cutAfterChunks: 3, tag: "abc" } }
 *
 * @param {string} pathname
 * @returns {{ path: string, overrides: Partial<Behaviour>, error?: string }}
 */
export function splitPrefix(pathname) {
  const match = /^\/x\/([^/]*)(\/.*)?$/.exec(pathname);
  if (!match) return { path: pathname, overrides: {} };
  const path = match[2] ?? "/";
  let query;
  try {
    query = decodeURIComponent(match[1] ?? "");
  } catch {
    return { path, overrides: {}, error: "behaviour prefix is not valid percent-encoding" };
  }
  const parsed = parseBehaviour(new URLSearchParams(query));
  if (!parsed.ok) return { path, overrides: {}, error: `behaviour prefix: ${parsed.error}` };
  return { path, overrides: parsed.value };
}
