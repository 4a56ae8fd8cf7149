/**
 * The MLflow export's pure parts: settings from the environment, the
 * metrics and tags of a decision (key names, unknown values left out), and
 * batching within MLflow's 1000-entity limit.
 */
import { describe, expect, it } from "vitest";
import type { Route } from "../../contracts/config";
import type { DecisionExport } from "../../analyzer/run/mlflow";
import { decisionBatch, logBatches, mlflowSettings } from "../../analyzer/run/mlflow";
import type { VerdictRecord } from "../../analyzer/metrics/verdict";
import type { Decision } from "../../analyzer/policy/types";

const T0 = Date.UTC(2026, 10, 27, 10, 0);

const route: Route = {
  id: "chat",
  models: ["m"],
  stable: { id: "stable-v1", originUrl: "https://s.example", model: "a" },
  canary: { id: "canary-v2", originUrl: "https://c.example", model: "b" },
  weight: 10,
  segments: [],
  state: "active",
  rollout: {
    steps: [10, 50, 100],
    stepIndex: 0,
    stepStartedAt: new Date(T0).toISOString(),
    startedAt: new Date(T0).toISOString(),
  },
};

function verdict(over: Partial<VerdictRecord>): VerdictRecord {
  return {
    metric: "latency_p95",
    source: "latency_ms",
    stat: "p95",
    critical: true,
    slice: { dim: "all", value: "all" },
    verdict: "pass",
    stable: { n: 500, estimate: 100 },
    canary: { n: 60, estimate: 104 },
    effect: { kind: "ratio", estimate: 1.04, lower: 0.95, upper: 1.12 },
    threshold: { kind: "relative", value: 0.2, direction: "higher_is_worse", limit: 1.2 },
    alpha: 0.0125,
    failBar: 1.05,
    clustering: { stable: { deff: 1, groups: 0 }, canary: { deff: 1, groups: 0 } },
    method: "m",
    reason: "r",
    ...over,
  };
}

function exported(
  verdicts: VerdictRecord[],
  action: Decision["action"] = "advance",
): DecisionExport {
  const decision: Decision = {
    action,
    proposedRoute: { ...route, weight: 50 },
    dryRun: false,
    notify: false,
    reasons: [],
    verdicts,
    srm: { checked: false, alpha: 0.001, mismatch: false, tests: [] },
    window: { from: T0, to: T0 + 15 * 60_000 },
  };
  return { at: T0 + 15 * 60_000 + 5_000, route, decision, applied: true };
}

describe("mlflowSettings", () => {
  it("is off without a tracking URI or with an unusable one", () => {
    expect(mlflowSettings({})).toBeNull();
    expect(mlflowSettings({ MLFLOW_TRACKING_URI: "  " })).toBeNull();
    expect(mlflowSettings({ MLFLOW_TRACKING_URI: "not a url" })).toBeNull();
    expect(mlflowSettings({ MLFLOW_TRACKING_URI: "ftp://mlflow.example" })).toBeNull();
  });

  it("reads the URI, experiment (default 0) and token", () => {
    expect(mlflowSettings({ MLFLOW_TRACKING_URI: "https://mlflow.example/" })).toMatchObject({
      trackingUri: "https://mlflow.example",
      experimentId: "0",
      token: null,
    });
    expect(
      mlflowSettings({
        MLFLOW_TRACKING_URI: "https://mlflow.example/base",
        MLFLOW_EXPERIMENT_ID: "12",
        MLFLOW_TOKEN: "t0k",
      }),
    ).toMatchObject({
      trackingUri: "https://mlflow.example/base",
      experimentId: "12",
      token: "t0k",
    });
  });
});

describe("decisionBatch", () => {
  it("logs weight, effect, interval, estimates, samples and verdict per metric and slice", () => {
    const { metrics, tags } = decisionBatch(
      exported([
        verdict({}),
        verdict({
          metric: "error_rate",
          slice: { dim: "segment", value: "eu beta=1/ü" },
          verdict: "fail",
          effect: { kind: "difference", estimate: 0.05, lower: 0.02, upper: null },
        }),
        verdict({
          metric: "toxicity_rate",
          verdict: "insufficient",
          effect: { kind: "difference", estimate: null, lower: null, upper: null },
        }),
      ]),
    );
    const byKey = Object.fromEntries(metrics.map((m) => [m.key, m.value]));
    expect(byKey).toMatchObject({
      canary_weight: 50,
      "latency_p95/all/effect": 1.04,
      "latency_p95/all/lower": 0.95,
      "latency_p95/all/upper": 1.12,
      "latency_p95/all/stable": 100,
      "latency_p95/all/canary": 104,
      "latency_p95/all/n_stable": 500,
      "latency_p95/all/n_canary": 60,
      "latency_p95/all/verdict": 1,
      "error_rate/segment.eu beta_1/_/effect": 0.05,
      "error_rate/segment.eu beta_1/_/verdict": -1,
      "toxicity_rate/all/n_canary": 60,
    });
    expect(byKey).not.toHaveProperty("error_rate/segment.eu beta_1/_/upper");
    expect(byKey).not.toHaveProperty("toxicity_rate/all/effect");
    expect(byKey).not.toHaveProperty("toxicity_rate/all/verdict");
    expect(metrics.every((m) => /^[\w\-. /]+$/.test(m.key))).toBe(true);
    expect(metrics.every((m) => m.step === 15 && m.timestamp === T0 + 905_000)).toBe(true);
    expect(tags).toContainEqual({ key: "llm_canary.action", value: "advance" });
    expect(tags).toContainEqual({ key: "llm_canary.canary", value: "canary-v2" });
  });

  it("logs the route's weight when the change was not applied", () => {
    const d = exported([]);
    const { metrics } = decisionBatch({ ...d, applied: false });
    expect(metrics).toEqual([{ key: "canary_weight", value: 10, timestamp: d.at, step: 15 }]);
  });
});

describe("logBatches", () => {
  it("keeps every request within 1000 entities, tags in the first", () => {
    const metrics = Array.from({ length: 2500 }, (_, i) => ({
      key: `m${i}`,
      value: i,
      timestamp: 0,
      step: 0,
    }));
    const tags = Array.from({ length: 6 }, (_, i) => ({ key: `t${i}`, value: "v" }));
    const batches = logBatches(metrics, tags);
    expect(batches.map((b) => b.metrics.length + (b.tags?.length ?? 0))).toEqual([1000, 1000, 506]);
    expect(batches.flatMap((b) => b.metrics)).toEqual(metrics);
    expect(batches[1]!.tags).toBeUndefined();
    expect(logBatches([], tags)).toEqual([{ metrics: [], tags }]);
  });
});
