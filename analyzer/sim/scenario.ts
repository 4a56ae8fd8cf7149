/**
 * Traffic models for seeded simulations: per arm an error rate and a
 * log-normal latency, per country a traffic share and optional overrides of
 * either arm (a regression confined to one country, a slow region, ...).
 */
import type { LoggingSettings } from "../../contracts/sampling";
import type { Route } from "../../contracts/config";
import type { WorldModel } from "./world";

export interface ArmModel {
  /** Probability that a request fails (0..1). */
  errorRate: number;
  /** Median latency of successful requests, ms. */
  latencyMedianMs: number;
  /** Standard deviation of log latency (0.5: p95 ≈ 2.3 × median). */
  latencySigma: number;
}

export interface CountryModel {
  /** ISO country code, e.g. `DE`. */
  code: string;
  /** Relative traffic share (normalised over all countries). */
  share: number;
  stable?: Partial<ArmModel>;
  canary?: Partial<ArmModel>;
}

/**
 * Sampled moderation, as the edge's evaluation pipeline runs it
 * (`route.evaluation.sampleRate`, worker/eval/sample.ts): a share of each
 * arm's answered requests is scored toxic or not, in the request's unit
 * group as evaluation rows are.
 */
export interface QualityModel {
  /** Probability that an answer is toxic, per arm. */
  toxicity: { stable: number; canary: number };
  /** Share of each arm's answered requests that are evaluated. */
  sampleRate: { stable: number; canary: number };
  /**
   * Realistic world: standard deviation of a user's log toxicity propensity
   * (mean multiplier 1; their prompts draw toxic answers more or less often).
   */
  userSigma: number;
}

export interface Scenario {
  name: string;
  requestsPerMinute: number;
  countries: CountryModel[];
  stable: ArmModel;
  canary: ArmModel;
  /** Simulated minutes at most. */
  minutes: number;
  /** Stop early once the canary has served this many requests. */
  stopAfterCanaryRequests?: number;
  /** Share of canary outcomes lost between the edge and the log (a crashing canary's, say); the realistic world only. */
  canaryOutcomeLoss?: number;
  /** Sampled outcome logging as the edge does it (contracts/sampling.ts); absent: every outcome logged. */
  logging?: LoggingSettings;
  /** Sampled moderation scores; absent: none. */
  quality?: QualityModel;
  /** Users, stickiness, propagation lag, a daily cycle and failover (`world.ts`); absent: independent requests. */
  world?: WorldModel;
}

/** Stable release behaviour used by the default scenarios. */
export const BASELINE_ARM: ArmModel = { errorRate: 0.01, latencyMedianMs: 800, latencySigma: 0.5 };

export const DEFAULT_COUNTRIES: CountryModel[] = [
  { code: "US", share: 40 },
  { code: "DE", share: 25 },
  { code: "IN", share: 20 },
  { code: "BR", share: 15 },
];

/** Cumulative country shares, in the scenario's order. */
export function countryShares(sc: Pick<Scenario, "countries">): number[] {
  const out: number[] = [];
  let acc = 0;
  for (const c of sc.countries) out.push((acc += c.share));
  return out;
}

/** A scenario with the baseline stable arm and the given canary changes. */
export function scenario(
  name: string,
  canary: Partial<ArmModel>,
  extra: Partial<Omit<Scenario, "name" | "canary">> = {},
): Scenario {
  return {
    name,
    requestsPerMinute: 10_000,
    countries: DEFAULT_COUNTRIES,
    stable: BASELINE_ARM,
    canary: { ...BASELINE_ARM, ...canary },
    minutes: 24 * 60,
    ...extra,
  };
}

/** A route at the first rollout step, started at `start`. */
export function simulationRoute(start: number, steps = [1, 5, 10, 25, 50, 100]): Route {
  const at = new Date(start).toISOString();
  return {
    id: "chat",
    models: ["chat"],
    stable: { id: "stable-v1", originUrl: "https://stable.example", model: "m-1" },
    canary: { id: "canary-v2", originUrl: "https://canary.example", model: "m-2" },
    weight: steps[0] ?? 1,
    segments: [],
    state: "active",
    rollout: { steps, stepIndex: 0, stepStartedAt: at, startedAt: at },
  };
}
