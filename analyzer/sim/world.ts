/**
 * A production-like traffic world: users, not requests, are the unit. Users
 * have Zipf-distributed activity (optionally a few heavy users with a fixed
 * share), a country, and their own latency and error propensities; a share
 * of requests carries no user key. Each request is assigned as the edge
 * assigns it (`bucketOf` and `variantFor` of contracts/assignment.ts, sticky
 * per user key and canary release); a new weight reaches the edges only
 * `propagationMs` after the analyzer wrote it; the rate follows a daily
 * cycle; a failing canary request fails over to stable and is recorded as
 * the edge records it (an error and a failover on the canary arm); requests
 * stream or not, which is their class.
 *
 * Pure: everything derives from the seed. `simulate` runs it when a scenario
 * has a `world`.
 */
import { BUCKETS, bucketOf, UNIT_GROUPS, unitGroup } from "../../contracts/assignment";
import type { Route } from "../../contracts/config";
import { normal, pickCumulative, type Random } from "./prng";

export interface WorldModel {
  /** Distinct users with a key. */
  users: number;
  /** Zipf exponent of per-user activity (user i's weight is 1 / (i + 1)^zipf). */
  zipf: number;
  /** The `count` most active users send `share` of the keyed requests (else the Zipf head does). */
  heavy?: { count: number; share: number };
  /** Share of requests without a user key (each one assigned on its own). */
  anonymousShare: number;
  /** Standard deviation of a user's log-latency offset (their prompts run long or short). */
  userLatencySigma: number;
  /** Standard deviation of a user's log error-propensity (mean multiplier 1). */
  userErrorSigma: number;
  /** The rate is `requestsPerMinute × (1 + dailyAmplitude × sin(2π · minute / 1440))`. */
  dailyAmplitude: number;
  /** A weight the analyzer writes reaches the edges this much later. */
  propagationMs: number;
  /** A failing canary request fails over to stable (the edge's default). */
  failover: boolean;
  /** Share of requests that stream (class `stream`; the others are class `chat`). */
  streamShare: number;
}

/** The default world of the realistic scenarios. */
export const REALISTIC_WORLD: WorldModel = {
  users: 20_000,
  zipf: 1.1,
  anonymousShare: 0.1,
  userLatencySigma: 0.3,
  userErrorSigma: 0.8,
  dailyAmplitude: 0.5,
  propagationMs: 5_000,
  failover: true,
  streamShare: 0.6,
};

/** The same world where the 10 most active users send 30% of the keyed requests. */
export const HEAVY_USERS_WORLD: WorldModel = {
  ...REALISTIC_WORLD,
  heavy: { count: 10, share: 0.3 },
};

/** The users of a world: who sends how much, from where, and how their requests behave. */
export interface Population {
  /** Cumulative activity, ascending; the last entry is the total. */
  cumulative: Float64Array;
  country: Uint16Array;
  /** Latency multiplier (median 1). */
  latency: Float64Array;
  /** Error-rate multiplier (mean 1). */
  errors: Float64Array;
  keys: string[];
  /** Each user's unit group (`unitGroup` of the key, as the edge stamps it). */
  units: Uint8Array;
}

/** `countryShares`: cumulative country shares (`countryShares` of scenario.ts). */
export function population(
  world: WorldModel,
  countryShares: readonly number[],
  rand: Random,
): Population {
  const n = world.users;
  const weight = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) total += weight[i] = 1 / Math.pow(i + 1, world.zipf);
  if (world.heavy && world.heavy.count < n) {
    const { count, share } = world.heavy;
    let head = 0;
    for (let i = 0; i < count; i++) head += weight[i]!;
    const tail = total - head;
    // Rescale so the head carries `share` of the total.
    for (let i = 0; i < n; i++)
      weight[i] = i < count ? (weight[i]! / head) * share : (weight[i]! / tail) * (1 - share);
  }
  const cumulative = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) cumulative[i] = acc += weight[i]!;
  const country = new Uint16Array(n);
  const latency = new Float64Array(n);
  const errors = new Float64Array(n);
  const keys: string[] = [];
  const es = world.userErrorSigma;
  for (let i = 0; i < n; i++) {
    country[i] = pickCumulative(rand, countryShares);
    latency[i] = Math.exp(world.userLatencySigma * normal(rand));
    errors[i] = Math.exp(es * normal(rand) - (es * es) / 2);
    keys.push(`user-${i}`);
  }
  const units = Uint8Array.from(keys, (k) => unitGroup(k));
  return { cumulative, country, latency, errors, keys, units };
}

/**
 * Buckets of every user for a route's canary release, as the edge computes
 * them (cached by the caller: the release does not change within a rollout).
 */
export function userBuckets(p: Population, route: Route): Int32Array {
  const out = new Int32Array(p.keys.length);
  const canary = route.canary?.id ?? "";
  p.keys.forEach((k, i) => (out[i] = bucketOf(k, route.id, canary)));
  return out;
}

/** One drawn request: its user (-1 without a key), country index, class, bucket and unit group. */
export interface WorldRequest {
  user: number;
  country: number;
  stream: boolean;
  bucket: number;
  unit: number;
}

/** Draws the next request of the world. */
export function drawRequest(
  world: WorldModel,
  p: Population,
  buckets: Int32Array,
  countryShares: readonly number[],
  rand: Random,
  out: WorldRequest,
): WorldRequest {
  const stream = rand() < world.streamShare;
  if (rand() < world.anonymousShare) {
    out.user = -1;
    out.country = pickCumulative(rand, countryShares);
    out.bucket = Math.floor(rand() * BUCKETS);
    // Its own unit: the group of a fresh request id.
    out.unit = Math.floor(rand() * UNIT_GROUPS);
  } else {
    const u = pickCumulative(rand, p.cumulative);
    out.user = u;
    out.country = p.country[u]!;
    out.bucket = buckets[u]!;
    out.unit = p.units[u]!;
  }
  out.stream = stream;
  return out;
}

/** The request rate of a minute under the daily cycle. */
export function rateAt(world: WorldModel, requestsPerMinute: number, minute: number): number {
  return Math.max(
    0,
    Math.round(
      requestsPerMinute * (1 + world.dailyAmplitude * Math.sin((2 * Math.PI * minute) / 1440)),
    ),
  );
}
