// @ts-check
/**
 * The demo's three rollouts, one route each, run side by side on one stack:
 *
 * 1. healthy: the canary behaves like stable; traffic from several countries
 *    and cohorts; expected: advanced step by step and promoted.
 * 2. slow: the canary's origin is 30% slower and a share of its answers are
 *    toxic (flagged by the moderation evaluator); expected: rolled back.
 * 3. regional: the canary is twice as slow in Brazil only; expected: the
 *    segment `exclude-country-BR` at weight 0 and the rollout going on.
 *    India is far from both releases' origins, so India sets the route's
 *    p95 on both arms and Brazil's regression stays invisible on `all`: only
 *    the per-country verdict sees it, which is what exclusion is for.
 *
 * Every release is served through the demo's front (scripts/demo/origins.mjs),
 * which draws each latency from a narrow log-normal around one second, as a
 * model's answer takes: next to that, the edge's scheduling noise on a busy
 * machine stays small, and quantile intervals stay tight.
 */
import { COUNTRY_HEADER } from "./origins.mjs";

/** Origin latency of both releases, ms. */
export const BASE_LATENCY_MS = 1000;

/**
 * @typedef {import("../../cli/load/mix").TrafficMix} TrafficMix
 * @typedef {import("../../cli/load/mix").RequestShape} RequestShape
 * @typedef {{ t: number, label: string }} ChartEvent
 * @typedef {{ dim: string, value?: string, metric: string, label: string, kind: "ratio" | "delta" }} KeyMetric
 * @typedef {"running" | "expected" | "unexpected"} Verdict
 *
 * @typedef {object} Scenario
 * @property {string} id route id
 * @property {string} title
 * @property {string} expected the end state, in words
 * @property {string} model the alias the load requests
 * @property {TrafficMix} mix
 * @property {number} rateShare share of the demo's request rate
 * @property {((shape: RequestShape) => Record<string, string>) | undefined} headersFor
 * @property {KeyMetric[]} keyMetrics shown in progress lines and charts
 * @property {string} [focusCountry] a country whose canary share is charted on its own
 * @property {(route: Record<string, any>) => Verdict} judge
 * @property {(o: Origins, timing: Timing) => Record<string, unknown>} route
 */

/**
 * @typedef {{ front: string, moderation: string }} Origins
 * @typedef {{ steps: number[], minStepDurationMs: number, minCanarySamples: number,
 *   bakeSamples: number,
 *   plannedSamples: number, startedAt: string }} Timing
 */

/** @param {Timing} t */
function rollout(t) {
  return {
    steps: t.steps,
    stepIndex: 0,
    stepStartedAt: t.startedAt,
    startedAt: t.startedAt,
  };
}

/**
 * @param {Timing} t
 * @param {number} [minCanarySamples]
 */
function policy(t, minCanarySamples = t.minCanarySamples) {
  return {
    minStepDurationMs: t.minStepDurationMs,
    minCanarySamples,
    plannedSamples: t.plannedSamples,
  };
}

/** @param {Record<string, any>} route */
const state = (route) => String(route?.state ?? "missing");

/** @type {Scenario[]} */
export const SCENARIOS = [
  {
    id: "healthy",
    title: "Healthy canary",
    expected: "advanced step by step to 100% and promoted",
    model: "demo-healthy",
    rateShare: 0.5,
    mix: {
      countries: [
        { value: "US", weight: 40 },
        { value: "DE", weight: 25 },
        { value: "FR", weight: 20 },
        { value: "JP", weight: 15 },
      ],
      cohorts: [
        { value: "internal", weight: 3 },
        { value: "beta", weight: 20 },
        { value: "-", weight: 77 },
      ],
      classes: [],
      users: 1_000_000,
      streamShare: 0.1,
    },
    headersFor: undefined,
    keyMetrics: [
      { dim: "all", metric: "latency_p95", label: "p95 latency canary/stable", kind: "ratio" },
      { dim: "all", metric: "error_rate", label: "error rate canary−stable", kind: "delta" },
    ],
    judge: (route) =>
      state(route) === "promoted"
        ? "expected"
        : state(route) === "rolled_back"
          ? "unexpected"
          : "running",
    route: (o, t) => ({
      id: "healthy",
      models: ["demo-healthy"],
      stable: {
        id: "healthy-stable-v1",
        originUrl: `${o.front}/healthy-stable`,
        model: "sim-model-v1",
      },
      canary: {
        id: "healthy-canary-v2",
        originUrl: `${o.front}/healthy-canary`,
        model: "sim-model-v2",
      },
      weight: t.steps[0],
      segments: [{ name: "internal-dogfood", match: { cohorts: ["internal"] }, weight: 100 }],
      state: "active",
      rollout: rollout(t),
      policy: policy(t, t.bakeSamples),
    }),
  },
  {
    id: "slow",
    title: "Slower, more toxic canary",
    expected: "rolled back automatically",
    model: "demo-slow",
    rateShare: 0.2,
    mix: {
      countries: [
        { value: "US", weight: 50 },
        { value: "GB", weight: 30 },
        { value: "CA", weight: 20 },
      ],
      cohorts: [],
      classes: [],
      users: 1_000_000,
      streamShare: 0,
    },
    headersFor: undefined,
    keyMetrics: [
      { dim: "all", metric: "latency_p95", label: "p95 latency canary/stable", kind: "ratio" },
      { dim: "all", metric: "toxicity_rate", label: "toxic answers canary−stable", kind: "delta" },
    ],
    judge: (route) =>
      state(route) === "rolled_back"
        ? "expected"
        : state(route) === "promoted"
          ? "unexpected"
          : "running",
    route: (o, t) => ({
      id: "slow",
      models: ["demo-slow"],
      stable: { id: "slow-stable-v1", originUrl: `${o.front}/slow-stable`, model: "sim-model-v1" },
      canary: { id: "slow-canary-v2", originUrl: `${o.front}/slow-canary`, model: "sim-model-v2" },
      weight: t.steps[0],
      segments: [],
      state: "active",
      rollout: rollout(t),
      policy: policy(t),
      // Every answer goes to the moderation evaluator; the analyzer's default
      // checks include toxicity (critical) once a route produces it.
      evaluation: { sampleRate: { stable: 1, canary: 1 }, evaluators: ["demo_moderation"] },
    }),
  },
  {
    id: "regional",
    title: "Regression in one country",
    expected: "Brazil excluded (exclude-country-BR at 0%), the rollout goes on elsewhere",
    model: "demo-regional",
    rateShare: 0.3,
    mix: {
      countries: [
        { value: "US", weight: 20 },
        { value: "DE", weight: 10 },
        { value: "IN", weight: 20 },
        { value: "BR", weight: 50 },
      ],
      cohorts: [],
      classes: [],
      users: 1_000_000,
      streamShare: 0,
    },
    headersFor: (shape) => {
      /** @type {Record<string, string>} */
      const h = {};
      if (shape.country) h[COUNTRY_HEADER] = shape.country;
      return h;
    },
    focusCountry: "BR",
    keyMetrics: [
      {
        dim: "country",
        value: "BR",
        metric: "latency_p95",
        label: "BR p95 latency canary/stable",
        kind: "ratio",
      },
      { dim: "all", metric: "latency_p95", label: "p95 latency canary/stable", kind: "ratio" },
    ],
    judge: (route) => {
      const segments = /** @type {Array<{ name: string, weight: number }>} */ (
        route?.segments ?? []
      );
      const excluded = segments.filter((s) => s.name.startsWith("exclude-") && s.weight === 0);
      if (state(route) === "rolled_back") return "unexpected";
      if (excluded.some((s) => s.name !== "exclude-country-BR")) return "unexpected";
      return excluded.length === 1 ? "expected" : "running";
    },
    route: (o, t) => ({
      id: "regional",
      models: ["demo-regional"],
      stable: {
        id: "regional-stable-v1",
        originUrl: `${o.front}/regional-stable`,
        model: "sim-model-v1",
      },
      canary: {
        id: "regional-canary-v2",
        originUrl: `${o.front}/regional-canary`,
        model: "sim-model-v2",
      },
      weight: t.steps[0],
      segments: [],
      state: "active",
      rollout: rollout(t),
      policy: policy(t),
    }),
  },
];

/**
 * The releases behind the demo's front, by name (`<front>/<name>`).
 * @param {{ stable: string, canary: string }} sims
 * @returns {Record<string, import("./origins.mjs").FrontRelease>}
 */
export function frontReleases(sims) {
  const medianMs = BASE_LATENCY_MS;
  return {
    "healthy-stable": { base: sims.stable, medianMs },
    "healthy-canary": { base: sims.canary, medianMs },
    "slow-stable": { base: sims.stable, medianMs },
    "slow-canary": { base: sims.canary, medianMs: medianMs * 1.3, toxicShare: 0.3 },
    "regional-stable": { base: sims.stable, medianMs, countryScale: { IN: 3 } },
    "regional-canary": { base: sims.canary, medianMs, countryScale: { IN: 3, BR: 2 } },
  };
}
