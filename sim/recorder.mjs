// @ts-check
/**
 * Per-server state of the simulated origin: the log of recorded requests,
 * counters, and the seeded PRNG streams.
 *
 * PRNG streams are keyed by (seed, tag), so a test that tags its requests
 * gets a reproducible fault sequence however much other traffic the shared
 * instance serves.
 */
import { fnv1a, mulberry32 } from "./random.mjs";

/** @typedef {import("./behaviour.mjs").Behaviour} Behaviour */

/** Recorded requests kept per server; older ones are dropped first. */
export const MAX_RECORDS = 5_000;

/**
 * @typedef {object} RecordedRequest
 * @property {number} id Per-server sequence number.
 * @property {string} method
 * @property {string} path Path with any `/x/...` prefix removed.
 * @property {string | null} tag
 * @property {Record<string, string | string[] | undefined>} headers Lower-cased, as received.
 * @property {unknown} body Parsed JSON body, or null.
 * @property {number} at Arrival time (epoch ms).
 * @property {number | null} status Status sent; null until headers go out.
 * @property {boolean} aborted True when the client went away before the response finished.
 * @property {number | null} abortedAt
 * @property {number | null} finishedAt
 */

/**
 * @typedef {object} Stats
 * @property {number} requests Model requests received (everything but `/__sim/`).
 * @property {Record<string, number>} byStatus Responses by status code.
 * @property {number} aborted Responses abandoned by the client.
 * @property {number} inFlight Responses not yet finished.
 * @property {number} openConnections TCP connections currently open.
 */

/**
 * @typedef {object} State
 * @property {string} name
 * @property {Behaviour} defaults
 * @property {RecordedRequest[]} records
 * @property {Map<string, () => number>} rngs
 * @property {Stats} stats
 * @property {number} seq
 * @property {boolean} closing Set while the server shuts down; drops are not client aborts.
 */

/**
 * @param {string} name
 * @param {Behaviour} defaults
 * @returns {State}
 */
export function createState(name, defaults) {
  return {
    name,
    defaults,
    records: [],
    rngs: new Map(),
    stats: { requests: 0, byStatus: {}, aborted: 0, inFlight: 0, openConnections: 0 },
    seq: 0,
    closing: false,
  };
}

/**
 * Clears the log and the counters (not the live gauges) and restarts every
 * PRNG stream from its seed.
 * @param {State} state
 */
export function resetState(state) {
  state.records = [];
  state.rngs.clear();
  state.stats = { ...state.stats, requests: 0, byStatus: {}, aborted: 0 };
}

/**
 * The PRNG stream for a request's (seed, tag); the seed defaults to a hash
 * of the origin name so stable and canary differ without configuration.
 * @param {State} state
 * @param {Pick<Behaviour, "seed" | "tag">} b
 * @returns {() => number}
 */
export function rngFor(state, b) {
  const seed = b.seed ?? fnv1a(state.name);
  const key = `${seed}\u0000${b.tag ?? ""}`;
  let rng = state.rngs.get(key);
  if (!rng) {
    rng = mulberry32(seed);
    state.rngs.set(key, rng);
  }
  return rng;
}

/**
 * @param {State} state
 * @param {Pick<RecordedRequest, "method" | "path" | "tag" | "headers" | "body">} fields
 * @param {number} now epoch ms
 * @returns {RecordedRequest} the live record, updated as the response progresses
 */
export function recordRequest(state, fields, now) {
  state.seq += 1;
  state.stats.requests += 1;
  /** @type {RecordedRequest} */
  const record = {
    id: state.seq,
    ...fields,
    at: now,
    status: null,
    aborted: false,
    abortedAt: null,
    finishedAt: null,
  };
  state.records.push(record);
  if (state.records.length > MAX_RECORDS) state.records.shift();
  return record;
}

/**
 * Snapshots, so callers cannot mutate the log.
 * @param {State} state
 * @param {string | null | undefined} tag
 * @returns {RecordedRequest[]}
 */
export function listRecords(state, tag) {
  const selected = tag ? state.records.filter((r) => r.tag === tag) : state.records;
  return selected.map((r) => ({ ...r }));
}
