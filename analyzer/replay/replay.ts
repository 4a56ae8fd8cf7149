/**
 * Replay: walk a route through time minute by minute the way the cron does,
 * deciding on rollups of recorded (or simulated) outcome events and applying
 * each decision to the route. `llm-canary analyze/backtest` runs this on JSONL
 * exports; the simulator drives a `Replayer` tick by tick while it generates
 * traffic against the current route.
 *
 * Events must belong to one route and its canary rollout. Recorded traffic
 * was assigned by the weights live at the time, so when a replay's route
 * diverges from what really ran, pass `srmAlpha: 0` in the policy: the
 * sample-ratio check would rightly flag the mismatch.
 */
import type { Route, RouteState } from "../../contracts/config";
import { decide, routeToWrite } from "../policy/decide";
import type { PolicyInput } from "../policy/policy";
import type { Action, Decision } from "../policy/types";
import type { RollupEvent } from "./rollup";
import { ceilMinute, floorMinute, MINUTE_MS, MinuteRollup } from "./rollup";
import { WindowCache } from "./window-cache";

export interface TimelineEntry {
  /** Decision time, epoch ms (a minute boundary). */
  at: number;
  action: Action;
  /** Canary weight after the decision. */
  weight: number;
  state: RouteState;
  /** Rollout step after the decision (null without a rollout). */
  stepIndex: number | null;
  /** Whether this decision changed the route (dry-run never does). */
  changed: boolean;
  notify: boolean;
  reasons: string[];
}

export interface ReplayerOptions {
  policy?: PolicyInput;
  /** Operator cap passed to every decision. */
  manualWeightCap?: number;
  /** Keep every full `Decision` (verdict records included); off by default. */
  keepDecisions?: boolean;
}

/** Start of the analysis window for a route: its step start rounded up to a minute. */
export function analysisWindowStart(route: Route, now: number): number {
  return route.rollout ? ceilMinute(Date.parse(route.rollout.stepStartedAt)) : now;
}

/** A route plus the events seen so far, advanced one decision at a time. */
export class Replayer {
  readonly rollup = new MinuteRollup();
  readonly timeline: TimelineEntry[] = [];
  readonly decisions: Decision[] = [];
  private readonly cache = new WindowCache(this.rollup);

  constructor(
    public route: Route,
    private readonly options: ReplayerOptions = {},
  ) {}

  ingest(event: RollupEvent): void {
    this.rollup.add(event);
  }

  /** Decides at `now` on the events before it and applies the decision. */
  tick(now: number): Decision {
    const from = Math.min(analysisWindowStart(this.route, now), now);
    const decision = decide({
      route: this.route,
      now,
      window: this.cache.window(from, now),
      ...(this.options.policy ? { policy: this.options.policy } : {}),
      ...(this.options.manualWeightCap !== undefined
        ? { manualWeightCap: this.options.manualWeightCap }
        : {}),
    });
    const next = routeToWrite(decision, this.route);
    if (next) this.route = next;
    this.timeline.push({
      at: now,
      action: decision.action,
      weight: this.route.weight,
      state: this.route.state,
      stepIndex: this.route.rollout?.stepIndex ?? null,
      changed: next !== null,
      notify: decision.notify,
      reasons: decision.reasons,
    });
    if (this.options.keepDecisions) this.decisions.push(decision);
    return decision;
  }
}

export interface ReplayResult {
  timeline: TimelineEntry[];
  finalRoute: Route;
  decisions: Decision[];
}

/**
 * Replays events over [from, to), deciding at every minute boundary after
 * `from` up to and including `to`.
 *
 * @example
 * const { timeline } = replay(events, route, { alpha: 0.05 }, { from, to });
 * timeline.filter((e) => e.changed).forEach((e) => console.log(new Date(e.at), e.action, e.weight));
 */
export function replay(
  events: Iterable<RollupEvent>,
  initialRoute: Route,
  policy: PolicyInput | undefined,
  range: { from: number; to: number } & Omit<ReplayerOptions, "policy">,
): ReplayResult {
  const { from, to, ...rest } = range;
  const replayer = new Replayer(initialRoute, { ...rest, ...(policy ? { policy } : {}) });
  for (const e of events) {
    if (e.ts >= from && e.ts < to) replayer.ingest(e);
  }
  for (let now = floorMinute(from) + MINUTE_MS; now <= to; now += MINUTE_MS) replayer.tick(now);
  return { timeline: replayer.timeline, finalRoute: replayer.route, decisions: replayer.decisions };
}
