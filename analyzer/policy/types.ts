/** Input and output of `decide`. */
import type { Route } from "../../contracts/config";
import type { VerdictRecord } from "../metrics/verdict";
import type { DesignEffect } from "../stats/clustered";
import type { SrmResult } from "../stats/srm";
import type { WindowData } from "../window";
import type { Policy, PolicyInput } from "./policy";

export type Action =
  "hold" | "advance" | "promote" | "rollback" | "exclude_segment" | "freeze" | "stuck";

export interface DecideInput {
  /** The route as currently stored (validated by `RouteSchema`). */
  route: Route;
  /** Decision time, epoch ms. */
  now: number;
  /** Rollups over [ceil-to-minute(rollout.stepStartedAt), now) for this route and canary. */
  window: WindowData;
  /** Global policy settings; the route's `policy` overrides them field by field. */
  policy?: PolicyInput;
  /** An operator lowered the canary weight by hand: never raise it above this. */
  manualWeightCap?: number;
  /** Consecutive failed analyzer runs for this route, counted by the caller. */
  consecutiveErrors?: number;
  /**
   * When the config history first recorded the current rollout, epoch ms
   * (`history/rollout-seen.ts`). The rollout's age counts from the later of
   * this and `rollout.startedAt`, so a seeded date cannot make it `stuck`.
   */
  rolloutSeenAt?: number;
}

/** Which counts an SRM test ran on (analyzer/policy/srm-check.ts). */
export type SrmCounts =
  /** The logged outcome events (sampled: `expectedShare` is of logged events). */
  | "logged"
  /** The edge's assignment counts, every request (`expectedShare` is the weight). */
  | "assignments"
  /** The logged events against the share of the events the edge sent (its counts). */
  | "logged_vs_sent";

/**
 * One SRM test. `stable` / `canary` are request counts (logged events, or
 * assigned requests for `assignments`); the test ran on them divided by
 * `dispersion.deff`, the request-share overdispersion across unit groups
 * (effective units per arm).
 */
export type SrmTestRecord = SrmResult & {
  slice: string;
  counts: SrmCounts;
  dispersion: DesignEffect;
  /** Each arm's logging rate (contracts/sampling.ts), read back from the logged events. */
  logging: { stable: number; canary: number };
  /** `logged_vs_sent`: the outcome events the edge sent, which the expected share is of. */
  sent?: { stable: number; canary: number };
};

export interface SrmSummary {
  checked: boolean;
  /** Per-test level after the Bonferroni split over the tests. */
  alpha: number;
  mismatch: boolean;
  tests: SrmTestRecord[];
  /** Why the check did not run, when it did not. */
  skipped?: string;
}

export interface Decision {
  action: Action;
  /**
   * The route the policy wants: the input route itself (same object) when it
   * wants no change. Under dry-run it is only proposed; `routeToWrite` says
   * what a caller writes.
   */
  proposedRoute: Route;
  dryRun: boolean;
  /** Tell a human: rollback, exclusion, SRM, stuck, freeze, promotion, invalid policy. */
  notify: boolean;
  reasons: string[];
  verdicts: VerdictRecord[];
  srm: SrmSummary;
  window: { from: number; to: number };
  /** The policy in force (absent when the route's override was invalid). */
  policy?: Policy;
}
