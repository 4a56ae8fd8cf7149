/**
 * Seeded end-to-end simulation: minute by minute, generate a scenario's
 * requests, assign each one against the route *as it is at that minute*, feed
 * the outcomes to a `Replayer` and let it decide, so a rollback or an
 * exclusion immediately changes the traffic that follows.
 */
import type { Route } from "../../contracts/config";
import type { PolicyInput } from "../policy/policy";
import type { TimelineEntry } from "../replay/replay";
import { Replayer } from "../replay/replay";
import { ArmAccumulator, MINUTE_MS, PreparedMetrics } from "../replay/rollup";
import { segmentFor, servesCanary } from "./assign";
import { logNormal, mulberry32, pickCumulative } from "./prng";
import type { ArmModel, Scenario } from "./scenario";
import { simulationRoute } from "./scenario";

export interface SimEntry extends TimelineEntry {
  /** Canary requests served since the start, up to this decision. */
  canaryRequests: number;
}

export interface SimResult {
  seed: number;
  scenario: string;
  finalRoute: Route;
  /** Decisions that changed the route or asked for attention (holds omitted). */
  events: SimEntry[];
  minutes: number;
  canaryRequests: number;
  totalRequests: number;
  /** The first decision with this action, if any. */
  first(action: TimelineEntry["action"]): SimEntry | undefined;
}

export interface SimOptions {
  policy?: PolicyInput;
  route?: Route;
  /** Simulation start, epoch ms (default 2026-01-01T00:00Z). */
  start?: number;
}

const DEFAULT_START = Date.UTC(2026, 0, 1);

/**
 * Runs one seeded simulation until the route settles (promoted or rolled
 * back), the scenario's minutes run out or its canary-request budget is spent.
 *
 * @example
 * const r = simulate(scenario("slow", { latencyMedianMs: 1040 }), 1);
 * r.first("rollback")?.canaryRequests;
 */
export function simulate(sc: Scenario, seed: number, options: SimOptions = {}): SimResult {
  const start = options.start ?? DEFAULT_START;
  const rand = mulberry32(seed);
  const replayer = new Replayer(
    options.route ?? simulationRoute(start),
    options.policy ? { policy: options.policy } : {},
  );
  const cumulative: number[] = [];
  let acc = 0;
  for (const c of sc.countries) cumulative.push((acc += c.share));
  const models = sc.countries.map((c) => ({
    stable: { ...sc.stable, ...c.stable } as ArmModel,
    canary: { ...sc.canary, ...c.canary } as ArmModel,
  }));
  const events: SimEntry[] = [];
  let canaryRequests = 0;
  let totalRequests = 0;
  let minute = 0;
  const scratch = new PreparedMetrics();
  // What `baseMetrics` yields for a non-streamed request (asserted in the sim
  // test), reused because this loop runs millions of times.
  const ok: Record<string, number> = {
    requests: 1,
    error: 0,
    failover: 0,
    rate_429: 0,
    latency_ms: 0,
  };
  const fail: Record<string, number> = { requests: 1, error: 1, failover: 0, rate_429: 0 };
  for (; minute < sc.minutes; minute++) {
    const t0 = start + minute * MINUTE_MS;
    // The route is fixed within a minute, so each country's segment and
    // weight are too; each request is still drawn against them.
    const route = replayer.route;
    const perCountry = sc.countries.map((c) => {
      const { segment, weight } = segmentFor(route, { country: c.code });
      return {
        segment,
        weight: servesCanary(route) ? weight : 0,
        stable: new ArmAccumulator(),
        canary: new ArmAccumulator(),
      };
    });
    for (let i = 0; i < sc.requestsPerMinute; i++) {
      const ci = pickCumulative(rand, cumulative);
      const target = perCountry[ci];
      const model = models[ci];
      if (!target || !model) continue;
      const canary = rand() * 100 < target.weight;
      const arm = canary ? model.canary : model.stable;
      const failed = rand() < arm.errorRate;
      const latencyMs = logNormal(rand, arm.latencyMedianMs, arm.latencySigma);
      ok.latency_ms = latencyMs;
      (canary ? target.canary : target.stable).addPrepared(scratch.fill(failed ? fail : ok));
      if (canary) canaryRequests += 1;
    }
    // Summed per (segment, country, variant) first: the same rollup as
    // adding each request, a third of the work.
    sc.countries.forEach((c, ci) => {
      const target = perCountry[ci];
      if (!target) return;
      const key = { segment: target.segment, country: c.code, cohort: null, requestClass: null };
      replayer.rollup.addAggregate(t0, key, "stable", target.stable);
      replayer.rollup.addAggregate(t0, key, "canary", target.canary);
    });
    totalRequests += sc.requestsPerMinute;
    const decision = replayer.tick(t0 + MINUTE_MS);
    const entry = replayer.timeline[replayer.timeline.length - 1];
    if (entry && (entry.changed || decision.notify)) events.push({ ...entry, canaryRequests });
    const state = replayer.route.state;
    if (state === "promoted" || state === "rolled_back") {
      minute += 1;
      break;
    }
    if (sc.stopAfterCanaryRequests !== undefined && canaryRequests >= sc.stopAfterCanaryRequests) {
      minute += 1;
      break;
    }
  }
  // Holds are not kept: a day of minutes per seed adds up.
  replayer.timeline.length = 0;
  return {
    seed,
    scenario: sc.name,
    finalRoute: replayer.route,
    events,
    minutes: minute,
    canaryRequests,
    totalRequests,
    first: (action) => events.find((e) => e.action === action),
  };
}
