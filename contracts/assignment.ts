/**
 * Sticky, monotone canary assignment.
 *
 * A user key hashes, together with the route and the canary release id, into
 * one of 10,000 buckets; the request goes to the canary when its bucket is
 * below weight × 100. Consequences:
 * - sticky: the same user sees the same variant while the weight holds;
 * - monotone: raising the weight only adds buckets, so nobody in the canary
 *   at 5% leaves it at 10%;
 * - a new canary release id reshuffles who is exposed first.
 */
import type { Variant } from "./outcome";
import { murmur3 } from "./murmur3";

export const BUCKETS = 10_000;

/**
 * Assignment units (the user key, or the request id when there is none) fall
 * into this many groups by a hash independent of their bucket. The step
 * rollups keep each metric's count and sum per group, so the analyzer can
 * measure how much one user's requests move together (docs/statistics.md ›
 * "Users, not requests"). Every request of a user is in one group.
 */
export const UNIT_GROUPS = 64;

/**
 * The group (0..UNIT_GROUPS − 1) of an assignment unit: the same for a key on
 * every route and release, unrelated to its bucket.
 *
 * @example unitGroup("user-42") // the same number on every call
 */
export function unitGroup(unitKey: string): number {
  return murmur3(unitKey, 0x5eed) % UNIT_GROUPS;
}

/** The bucket (0..9999) of a user key for a route's canary release. */
export function bucketOf(userKey: string, routeId: string, canaryReleaseId: string): number {
  return murmur3(`${routeId}\u0000${canaryReleaseId}\u0000${userKey}`) % BUCKETS;
}

/**
 * Variant for a bucket at a canary weight in percent (0.01 resolution).
 *
 * @example
 * variantFor(42, 1); // "canary" (bucket 42 < 100)
 * variantFor(42, 0.42); // "stable"
 */
export function variantFor(bucket: number, weightPercent: number): Variant {
  return bucket < Math.round(weightPercent * 100) ? "canary" : "stable";
}
