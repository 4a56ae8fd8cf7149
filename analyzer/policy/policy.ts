/**
 * The analyzer policy: rollout steps, timing, statistical settings and the
 * metric checks. Every field has a default; a route's `policy` object
 * overrides fields one by one (a `metrics` override replaces the whole list).
 *
 * The defaults were tuned with the seeded simulations in
 * `test/unit/analyzer-sim.unit.test.ts` (see docs/statistics.md).
 */
import * as z from "zod";
import { describeIssues, WeightSchema } from "../../contracts/config";
import { DEFAULT_METRICS, MetricDefinitionSchema, quantileSources } from "../metrics/definitions";

const MINUTE = 60_000;

export const EXCLUDABLE_DIMS = ["segment", "country", "cohort", "class"] as const;

export const PolicySchema = z.strictObject({
  /** Canary weights of the steps, ascending, ending at 100. */
  steps: z
    .array(WeightSchema)
    .min(1)
    .refine((s) => s.every((w, i) => i === 0 || w > (s[i - 1] ?? 0)), "must be ascending")
    .refine((s) => s[s.length - 1] === 100, "must end at 100")
    .default([1, 5, 10, 25, 50, 100]),
  /** Least time at each step before advancing. */
  minStepDurationMs: z
    .int()
    .min(0)
    .default(10 * MINUTE),
  /** Least canary requests at each step before advancing. */
  minCanarySamples: z.int().min(0).default(1000),
  /** A rollout older than this that still cannot advance is reported `stuck`. */
  maxRolloutDurationMs: z
    .int()
    .min(MINUTE)
    .default(24 * 60 * MINUTE),
  /** Family-wise false-fail probability per step (see `stats/multiplicity.ts`). */
  alpha: z.number().gt(0).lt(0.5).default(0.05),
  /** Canary samples at which the confidence sequences are tightest. */
  plannedSamples: z.int().min(10).default(1000),
  /**
   * Where a fail verdict's bar sits between no difference (0) and the
   * threshold (1); the estimate must be beyond the threshold as well.
   */
  failMargin: z.number().min(0).max(1).default(0.25),
  /**
   * What a critical metric must show on `all` before a step advances:
   * `pass`, non-inferiority proven (its interval inside the threshold); or
   * `no_fail`, enough samples and no failure. When users, not requests, are
   * the unit, a small step holds few *effective* users, and proving
   * non-inferiority there can take longer than the rollout may last
   * (docs/statistics.md › "Users, not requests"); `no_fail` then advances on
   * the absence of harm, as Kayenta-style judges do, and leaves safety to the
   * fail tests.
   */
  advanceOn: z.enum(["pass", "no_fail"]).default("pass"),
  /**
   * With `advanceOn: "pass"`: a step whose canary has this many requests, and
   * in which nothing fails on `all`, advances as `no_fail` would, and its
   * record says which critical metrics were still inconclusive. On traffic
   * where a few users send most requests, non-inferiority at a 1% step may
   * never be shown within the rollout (docs/statistics.md › "Advancing on
   * the absence of harm"). Counted in requests, not time, so a step first
   * gets the evidence the fail tests need (5 × `minCanarySamples` covers the
   * simulations' detection budgets of 2,000 and 4,000 canary requests).
   * null: wait for `pass` for good.
   */
  noFailAfterSamples: z.int().min(0).nullable().default(5000),
  /** Sample-ratio mismatch level; 0 disables the check. */
  srmAlpha: z.number().min(0).lt(0.5).default(0.001),
  /**
   * A step held this long by a sample-ratio mismatch is reported `stuck`
   * (notify, with what to do) instead of holding on.
   */
  srmMaxHoldMs: z
    .int()
    .min(MINUTE)
    .default(60 * MINUTE),
  /**
   * A mismatch with fewer canary outcomes than the weight promises rolls
   * back: a canary whose failures never reach the log shows first as missing
   * outcomes. Off: it only holds, like a surplus.
   */
  srmDeficitRollback: z.boolean().default(true),
  metrics: z.array(MetricDefinitionSchema).min(1).default(DEFAULT_METRICS),
  /** Exclude a failing segment (instead of rolling back) when `all` is healthy. */
  segmentExclusion: z.boolean().default(true),
  /** Slice dims that may be excluded. */
  exclusionDims: z.array(z.enum(EXCLUDABLE_DIMS)).default([...EXCLUDABLE_DIMS]),
  /** More exclusions than this on one route roll the canary back instead. */
  maxExcludedSegments: z.int().min(0).default(3),
  /** Decide and report, but never change the route. */
  dryRun: z.boolean().default(false),
  /** Consecutive analyzer failures (counted by the caller) that freeze the route. */
  maxConsecutiveErrors: z.int().min(1).default(3),
});
export type Policy = z.infer<typeof PolicySchema>;
export type PolicyInput = z.input<typeof PolicySchema>;

export type PolicyResult =
  { ok: true; policy: Policy } | { ok: false; reason: "invalid_policy"; errors: string[] };

/**
 * The policy in force for a route: `base` (global settings) overridden field
 * by field by the route's own `policy` object.
 *
 * @example
 * const r = resolvePolicy({ alpha: 0.05 }, route.policy);
 * if (!r.ok) console.warn(r.errors.join("; "));
 */
export function resolvePolicy(
  base: PolicyInput | undefined,
  override: Record<string, unknown> | undefined,
): PolicyResult {
  const parsed = PolicySchema.safeParse({ ...(base ?? {}), ...(override ?? {}) });
  if (!parsed.success)
    return { ok: false, reason: "invalid_policy", errors: describeIssues(parsed.error) };
  return { ok: true, policy: parsed.data };
}

/**
 * The metric sources a route's policy judges by a quantile, which are the
 * only ones whose per-group coarse bins the step read needs; undefined for an
 * invalid policy (read everything: the run then holds and says why).
 *
 * @example judgedQuantileSources(undefined, undefined); // Set { "latency_ms", "ttft_ms" }
 */
export function judgedQuantileSources(
  base: PolicyInput | undefined,
  override: Record<string, unknown> | undefined,
): Set<string> | undefined {
  const r = resolvePolicy(base, override);
  return r.ok ? quantileSources(r.policy.metrics) : undefined;
}

/** The default policy. */
export const DEFAULT_POLICY: Policy = PolicySchema.parse({});
