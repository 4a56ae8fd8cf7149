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

export interface SrmSummary {
  checked: boolean;
  /** Per-test level after the Bonferroni split over the tested segments. */
  alpha: number;
  mismatch: boolean;
  /**
   * `stable` / `canary` are request counts; the test ran on them divided by
   * `dispersion.deff`, the request-share overdispersion across unit groups
   * (effective units per arm).
   */
  tests: Array<
    SrmResult & {
      slice: string;
      dispersion: DesignEffect;
      /** Each arm's logging rate (contracts/sampling.ts); `expectedShare` is of logged events. */
      logging: { stable: number; canary: number };
    }
  >;
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
