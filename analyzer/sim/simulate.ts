/**
 * Seeded end-to-end simulation: minute by minute, generate a scenario's
 * requests, assign each one against the route *as it is at that minute*, feed
 * the outcomes to a `Replayer` and let it decide, so a rollback or an
 * exclusion immediately changes the traffic that follows.
 */
import { loggingRates, unitDraw, type LoggingRates } from "../../contracts/sampling";
import type { Route } from "../../contracts/config";
import type { PolicyInput } from "../policy/policy";
import type { TimelineEntry } from "../replay/replay";
import { Replayer } from "../replay/replay";
import { ArmAccumulator, MINUTE_MS, PreparedMetrics } from "../replay/rollup";
import { segmentFor, servesCanary } from "./assign";
import { UNIT_GROUPS, variantFor } from "../../contracts/assignment";
import { logNormal, mulberry32, normal, pickCumulative, type Random } from "./prng";
import type { ArmModel, QualityModel, Scenario } from "./scenario";
import { QUALITY_METRICS } from "../../contracts/quality";
import { countryShares, simulationRoute } from "./scenario";
import { drawRequest, population, rateAt, userBuckets, type WorldRequest } from "./world";

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
  /** The last decision, holds included: why an unfinished run was waiting. */
  last: TimelineEntry | undefined;
}

export interface SimOptions {
  policy?: PolicyInput;
  route?: Route;
  /** Simulation start, epoch ms (default 2026-01-01T00:00Z). */
  start?: number;
}

/** Where a simulation starts unless told (its route's rollout starts there too). */
export const DEFAULT_START = Date.UTC(2026, 0, 1);

/** Each country's two arms, the scenario's arms with the country's overrides. */
function armModels(sc: Scenario): Array<{ stable: ArmModel; canary: ArmModel }> {
  return sc.countries.map((c) => ({
    stable: { ...sc.stable, ...c.stable } as ArmModel,
    canary: { ...sc.canary, ...c.canary } as ArmModel,
  }));
}

/**
 * What `baseMetrics` yields for a non-streamed request that succeeded, failed,
 * or failed on the canary and was failed over (asserted in the sim test),
 * reused because the loops run millions of times (`ok.latency_ms` is set per
 * request).
 */
const ALL_LOGGED: LoggingRates = { canary: 1, stable: 1 };

function metricRecords() {
  return {
    ok: { requests: 1, error: 0, failover: 0, rate_429: 0, latency_ms: 0 } as Record<
      string,
      number
    >,
    fail: { requests: 1, error: 1, failover: 0, rate_429: 0 } as Record<string, number>,
    failedOver: { requests: 1, error: 1, failover: 1, rate_429: 0 } as Record<string, number>,
  };
}

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
  if (sc.world) return simulateWorld(sc, seed, start, rand, replayer);
  const cumulative = countryShares(sc);
  const models = armModels(sc);
  const events: SimEntry[] = [];
  let canaryRequests = 0;
  let totalRequests = 0;
  let minute = 0;
  const scratch = new PreparedMetrics();
  const { ok, fail } = metricRecords();
  const quality = sc.quality;
  for (; minute < sc.minutes; minute++) {
    const t0 = start + minute * MINUTE_MS;
    // The route is fixed within a minute, so each country's segment and
    // weight are too; each request is still drawn against them.
    const route = replayer.route;
    const perCountry = sc.countries.map((c) => {
      const { segment, weight } = segmentFor(route, { country: c.code });
      const w = servesCanary(route) ? weight : 0;
      return {
        segment,
        weight: w,
        rates: sc.logging ? loggingRates(w, sc.logging) : ALL_LOGGED,
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
      // Each request is its own unit: the group of a fresh request id.
      const unit = Math.floor(rand() * UNIT_GROUPS);
      if (canary) canaryRequests += 1;
      if (quality && !failed)
        evaluate(quality, canary, 1, unit, rand, canary ? target.canary : target.stable, scratch);
      const rate = canary ? target.rates.canary : target.rates.stable;
      // Its own unit too for sampling: a fresh draw per request.
      if (rate < 1 && rand() >= rate) continue;
      const metrics = failed ? fail : ok;
      metrics.requests = 1 / rate;
      (canary ? target.canary : target.stable).addPrepared(scratch.fill(metrics, unit));
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
    if (decideMinute(sc, replayer, t0, events, canaryRequests)) {
      minute += 1;
      break;
    }
  }
  return result(sc, seed, replayer, events, minute, canaryRequests, totalRequests);
}

/**
 * The analyzer's decision at the end of minute `t0`, kept when it changed the
 * route or asked for attention; true when the run is over (promoted, rolled
 * back, or the canary budget spent).
 */
function decideMinute(
  sc: Scenario,
  replayer: Replayer,
  t0: number,
  events: SimEntry[],
  canaryRequests: number,
): boolean {
  const decision = replayer.tick(t0 + MINUTE_MS);
  const entry = replayer.timeline[replayer.timeline.length - 1];
  if (entry && (entry.changed || decision.notify)) events.push({ ...entry, canaryRequests });
  const state = replayer.route.state;
  if (state === "promoted" || state === "rolled_back") return true;
  return sc.stopAfterCanaryRequests !== undefined && canaryRequests >= sc.stopAfterCanaryRequests;
}

function result(
  sc: Scenario,
  seed: number,
  replayer: Replayer,
  events: SimEntry[],
  minutes: number,
  canaryRequests: number,
  totalRequests: number,
): SimResult {
  const last = replayer.timeline[replayer.timeline.length - 1];
  // Holds are not kept: a day of minutes per seed adds up.
  replayer.timeline.length = 0;
  return {
    seed,
    scenario: sc.name,
    finalRoute: replayer.route,
    events,
    minutes,
    canaryRequests,
    totalRequests,
    first: (action) => events.find((e) => e.action === action),
    last,
  };
}

const TOXIC = { [QUALITY_METRICS.toxicity]: 1 };
const CLEAN = { [QUALITY_METRICS.toxicity]: 0 };

/**
 * Sampled moderation of one answered request: when the arm's sample rate
 * draws it, a toxicity score (1 at the arm's probability × the user's
 * multiplier) added to `into` in the request's unit group, as the evaluation
 * rows add it.
 */
function evaluate(
  q: QualityModel,
  canary: boolean,
  multiplier: number,
  unit: number,
  rand: Random,
  into: ArmAccumulator,
  scratch: PreparedMetrics,
): void {
  if (rand() >= (canary ? q.sampleRate.canary : q.sampleRate.stable)) return;
  const p = Math.min(1, (canary ? q.toxicity.canary : q.toxicity.stable) * multiplier);
  into.addPrepared(scratch.fill(rand() < p ? TOXIC : CLEAN, unit));
}

/**
 * Per-user multipliers of a propensity, log-normal with mean 1, from their
 * own stream (seeded from the run's seed) so that worlds without the
 * propensity draw exactly what they drew before.
 */
function propensities(users: number, sigma: number, seed: number): Float64Array {
  const rand = mulberry32((seed ^ 0x70c1c) >>> 0);
  const out = new Float64Array(users);
  for (let i = 0; i < users; i++) out[i] = Math.exp(sigma * normal(rand) - (sigma * sigma) / 2);
  return out;
}

/** Accumulators of one minute for one (segment, country, class). */
interface Cell {
  key: { segment: string | null; country: string; cohort: null; requestClass: string };
  stable: ArmAccumulator;
  canary: ArmAccumulator;
}

/**
 * The realistic world (`world.ts`): each request drawn from a user, assigned
 * by the user's sticky bucket against the route the edges have *now* (the
 * previous one until `propagationMs` after a change), and recorded as the
 * edge records it, failover included.
 */
function simulateWorld(
  sc: Scenario,
  seed: number,
  start: number,
  rand: Random,
  replayer: Replayer,
): SimResult {
  const world = sc.world!;
  const shares = countryShares(sc);
  const people = population(world, shares, rand);
  const buckets = userBuckets(people, replayer.route);
  const models = armModels(sc);
  const scratch = new PreparedMetrics();
  const { ok, fail, failedOver } = metricRecords();
  const events: SimEntry[] = [];
  const req: WorldRequest = { user: -1, country: 0, stream: false, bucket: 0, unit: 0 };
  const loss = sc.canaryOutcomeLoss ?? 0;
  const draws = sc.logging ? Float64Array.from(people.keys, unitDraw) : null;
  const quality = sc.quality;
  const toxicityOf = quality ? propensities(people.keys.length, quality.userSigma, seed) : null;
  let canaryRequests = 0;
  let totalRequests = 0;
  let previous = replayer.route;
  let changedAt = -Infinity;
  let minute = 0;
  for (; minute < sc.minutes; minute++) {
    const t0 = start + minute * MINUTE_MS;
    const current = replayer.route;
    // Per route the edges may be on, and per country and class: segment and weight.
    const plans = [previous, current].map((route) =>
      sc.countries.map((c) =>
        (["chat", "stream"] as const).map((requestClass) => {
          const { segment, weight } = segmentFor(route, { country: c.code, requestClass });
          const w = servesCanary(route) ? weight : 0;
          return {
            segment,
            weight: w,
            rates: sc.logging ? loggingRates(w, sc.logging) : ALL_LOGGED,
          };
        }),
      ),
    );
    const cells = new Map<string, Cell>();
    const cellFor = (segment: string | null, ci: number, requestClass: string): Cell => {
      const id = `${segment ?? ""}|${ci}|${requestClass}`;
      let cell = cells.get(id);
      if (!cell) {
        cell = {
          key: { segment, country: sc.countries[ci]!.code, cohort: null, requestClass },
          stable: new ArmAccumulator(),
          canary: new ArmAccumulator(),
        };
        cells.set(id, cell);
      }
      return cell;
    };
    const n = rateAt(world, sc.requestsPerMinute, minute);
    for (let i = 0; i < n; i++) {
      const t = t0 + (i / n) * MINUTE_MS;
      drawRequest(world, people, buckets, shares, rand, req);
      const onPrevious = t < changedAt + world.propagationMs;
      const plan = plans[onPrevious ? 0 : 1]![req.country]![req.stream ? 1 : 0]!;
      const canary = variantFor(req.bucket, plan.weight) === "canary";
      const model = models[req.country]!;
      const arm = canary ? model.canary : model.stable;
      const user = req.user;
      const errorRate =
        user < 0 ? arm.errorRate : Math.min(1, arm.errorRate * people.errors[user]!);
      const failed = rand() < errorRate;
      const median = arm.latencyMedianMs * (user < 0 ? 1 : people.latency[user]!);
      ok.latency_ms = logNormal(rand, median, arm.latencySigma);
      const metrics = failed ? (canary && world.failover ? failedOver : fail) : ok;
      if (canary) canaryRequests += 1;
      if (quality && !failed) {
        const cell = cellFor(plan.segment, req.country, req.stream ? "stream" : "chat");
        const mult = user < 0 ? 1 : toxicityOf![user]!;
        evaluate(
          quality,
          canary,
          mult,
          req.unit,
          rand,
          canary ? cell.canary : cell.stable,
          scratch,
        );
      }
      if (canary && loss > 0 && rand() < loss) continue;
      // Logged or not per user, as the edge decides (an anonymous request is its own unit).
      const rate = canary ? plan.rates.canary : plan.rates.stable;
      if (rate < 1 && (user < 0 ? rand() : draws![user]!) >= rate) continue;
      metrics.requests = 1 / rate;
      const cell = cellFor(plan.segment, req.country, req.stream ? "stream" : "chat");
      (canary ? cell.canary : cell.stable).addPrepared(scratch.fill(metrics, req.unit));
    }
    for (const cell of cells.values()) {
      replayer.rollup.addAggregate(t0, cell.key, "stable", cell.stable);
      replayer.rollup.addAggregate(t0, cell.key, "canary", cell.canary);
    }
    totalRequests += n;
    const before = replayer.route;
    const stop = decideMinute(sc, replayer, t0, events, canaryRequests);
    if (replayer.route !== before) {
      previous = before;
      changedAt = t0 + MINUTE_MS;
    }
    if (stop) {
      minute += 1;
      break;
    }
  }
  return result(sc, seed, replayer, events, minute, canaryRequests, totalRequests);
}
