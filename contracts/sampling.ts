/**
 * Sampled outcome logging: which requests send an outcome event, and the
 * weight each logged event carries. Pure; the edge decides with it
 * (worker/proxy/handler.ts) and the analyzer reads the rates back from the
 * rollups (docs/capacity.md › "Sampled logging").
 *
 * Rates per arm, from the applied canary weight w (a fraction) and
 * `settings.logging` (a route's `logging` overrides it):
 * - canary: 1 (every canary request) until the canary arm alone would log
 *   more than `canaryShare` percent of the route's traffic, then
 *   canaryShare / w;
 * - stable: `stableMultiple` × the canary's logged share, as a rate of the
 *   stable arm, never below `minRate` and at most 1.
 *
 * The decision is a hash of the assignment unit (the user key, or the
 * request id without one) with its own seed, unrelated to the assignment
 * bucket and the unit group: all of a user's requests are in or out
 * together, a retry or a redelivery never changes it, and within an arm the
 * logged units are a uniform sample of its units. Each event carries its
 * `sampleRate`; its `requests` metric is 1 / rate, so the rollups' request
 * sums estimate the true counts while `n` counts the logged samples the
 * statistics run on.
 */
import { murmur3 } from "./murmur3";
import type { Variant } from "./outcome";

export interface LoggingRates {
  canary: number;
  stable: number;
}

export interface LoggingSettings {
  /** Stable events logged per canary event (as a target; capped at every stable request). */
  stableMultiple: number;
  /** Most of a route's traffic (percent) the canary arm logs; beyond it the canary is sampled too. */
  canaryShare: number;
  /** The stable arm's lowest logging rate (also the rate with no canary). */
  minRate: number;
}

const SEED = 0x5a3c1e;
/** Rates are rounded to this resolution so every event of an arm carries the same one. */
const RESOLUTION = 1e-6;

const round = (r: number) =>
  Math.min(1, Math.max(RESOLUTION, Math.round(r / RESOLUTION) * RESOLUTION));

/**
 * The logging rate of each arm at a canary weight (percent).
 *
 * @example
 * loggingRates(1, { stableMultiple: 4, canaryShare: 5, minRate: 0.01 });
 * // { canary: 1, stable: 0.040404 } (4 stable events per canary event)
 * loggingRates(50, { stableMultiple: 4, canaryShare: 5, minRate: 0.01 });
 * // { canary: 0.1, stable: 0.4 }
 */
export function loggingRates(weightPercent: number, s: LoggingSettings): LoggingRates {
  const w = Math.min(1, Math.max(0, weightPercent / 100));
  const canary = w > 0 ? round(Math.min(1, s.canaryShare / 100 / w)) : 1;
  const stable = w < 1 ? round(Math.max(s.minRate, (s.stableMultiple * w * canary) / (1 - w))) : 1;
  return { canary, stable };
}

/**
 * Whether an assignment unit is logged at a rate: deterministic, the same
 * answer for the same unit and rate everywhere.
 *
 * @example sampledIn("user-42", 1) // true
 */
export function sampledIn(unitKey: string, rate: number): boolean {
  return rate >= 1 || unitDraw(unitKey) < rate;
}

/** A unit's uniform draw in [0, 1): logged at any rate above it (the simulator caches it per user). */
export function unitDraw(unitKey: string): number {
  return murmur3(unitKey, SEED) / 4294967296;
}

/** The rate of the arm a request was assigned to. */
export function rateFor(variant: Variant, rates: LoggingRates): number {
  return variant === "canary" ? rates.canary : rates.stable;
}

/**
 * The logging rate of a request: its arm's rate at the applied weight, with
 * the route's overrides of the global settings.
 *
 * @example requestLoggingRate(config.settings.logging, route.logging, plan.weight, plan.variant)
 */
export function requestLoggingRate(
  settings: LoggingSettings,
  route: Partial<LoggingSettings> | undefined,
  weightPercent: number,
  variant: Variant,
): number {
  // Most routes override nothing: no merged object on the request path then.
  return rateFor(
    variant,
    loggingRates(weightPercent, route ? { ...settings, ...route } : settings),
  );
}
