/** Quality metrics in the analyzer: default definitions and how `decide` treats them. */
import { describe, expect, it } from "vitest";
import { RouteSchema, type Route } from "../../contracts/config";
import { addToBins } from "../../contracts/sketch";
import { DEFAULT_METRICS, QUALITY_DEFAULTS } from "../../analyzer/metrics/definitions";
import { decide } from "../../analyzer/policy/decide";
import { logNormal, mulberry32 } from "../../analyzer/sim/prng";
import type { ArmData, MetricSums, WindowData } from "../../analyzer/window";

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const MIN = 60_000;
const NOW = T0 + 15 * MIN;

function baseArm(seed: number, n: number): ArmData {
  const rand = mulberry32(seed);
  const bins = new Map<number, number>();
  let sum = 0;
  let sumSq = 0;
  const errors = Math.round(n * 0.01);
  for (let i = 0; i < n - errors; i++) {
    const v = logNormal(rand, 800, 0.5);
    addToBins(bins, v);
    sum += v;
    sumSq += v * v;
  }
  return {
    metrics: {
      requests: { n, sum: n, sumSq: n },
      error: { n, sum: errors, sumSq: errors },
      latency_ms: { n: n - errors, sum, sumSq },
    },
    sketches: { latency_ms: [...bins] },
  };
}

/** Sums of `n` 0/1 observations with `ones` ones, or of values. */
const rate = (n: number, ones: number): MetricSums => ({ n, sum: ones, sumSq: ones });
const values = (xs: number[]): MetricSums => ({
  n: xs.length,
  sum: xs.reduce((a, b) => a + b, 0),
  sumSq: xs.reduce((a, b) => a + b * b, 0),
});

function windowWith(
  stableQuality: Record<string, MetricSums>,
  canaryQuality: Record<string, MetricSums>,
): WindowData {
  const stable = baseArm(1, 18_000);
  const canary = baseArm(2, 2_000);
  return {
    from: T0,
    to: NOW,
    slices: [
      {
        dim: "all",
        value: "all",
        stable: { ...stable, metrics: { ...stable.metrics, ...stableQuality } },
        canary: { ...canary, metrics: { ...canary.metrics, ...canaryQuality } },
      },
    ],
  };
}

function route(policy?: Record<string, unknown>): Route {
  return RouteSchema.parse({
    id: "chat",
    models: ["chat"],
    stable: { id: "stable-v1", originUrl: "https://stable.example", model: "m-1" },
    canary: { id: "canary-v2", originUrl: "https://canary.example", model: "m-2" },
    weight: 10,
    rollout: {
      steps: [10, 50, 100],
      stepIndex: 0,
      stepStartedAt: new Date(T0).toISOString(),
      startedAt: new Date(T0).toISOString(),
    },
    ...(policy ? { policy } : {}),
  });
}

describe("default quality metric definitions", () => {
  it("cover every quality signal, all optional, with toxicity, hallucination and JSON validity critical", () => {
    const quality = DEFAULT_METRICS.filter((m) => m.optional);
    expect(quality.map((m) => [m.name, m.source, m.stat, m.direction, m.critical])).toEqual([
      ["refusal_rate", "refusal", "rate", "higher_is_worse", false],
      ["truncation_rate", "truncated", "rate", "higher_is_worse", false],
      ["json_valid_rate", "json_valid", "rate", "lower_is_worse", true],
      ["repetition_mean", "repetition", "mean", "higher_is_worse", false],
      ["mean_logprob", "mean_logprob", "mean", "lower_is_worse", false],
      ["toxicity_rate", "toxicity", "rate", "higher_is_worse", true],
      ["hallucination_rate", "hallucination", "rate", "higher_is_worse", true],
      ["relevance_mean", "relevance", "mean", "lower_is_worse", false],
      ["coherence_mean", "coherence", "mean", "lower_is_worse", false],
      ["feedback_positive_rate", "feedback_positive", "rate", "lower_is_worse", false],
      ["pairwise_win_rate", "pairwise_win", "mean", "lower_is_worse", false],
    ]);
    expect(quality).toHaveLength(QUALITY_DEFAULTS.length);
    // Absolute thresholds only: mean logprob is negative, a ratio would be meaningless.
    expect(quality.every((m) => m.threshold.kind === "absolute")).toBe(true);
    expect(DEFAULT_METRICS.filter((m) => !m.optional).every((m) => m.optional === false)).toBe(
      true,
    );
  });
});

describe("decide with quality metrics", () => {
  it("advances a healthy step when no quality signal was observed", () => {
    const d = decide({ route: route(), now: NOW, window: windowWith({}, {}) });
    expect(d.action).toBe("advance");
    const toxicity = d.verdicts.find((v) => v.metric === "toxicity_rate")!;
    expect(toxicity.verdict).toBe("insufficient");
  });

  it("rolls back a toxic canary on toxicity alone", () => {
    const d = decide({
      route: route(),
      now: NOW,
      window: windowWith({ toxicity: rate(150, 0) }, { toxicity: rate(120, 40) }),
    });
    expect(d.action).toBe("rollback");
    expect(d.reasons[0]).toMatch(/^toxicity_rate on all: fail/);
    expect(d.verdicts.find((v) => v.metric === "error_rate")!.verdict).toBe("pass");
  });

  it("does not roll back the same canary when the policy leaves toxicity out", () => {
    const metrics = DEFAULT_METRICS.filter((m) => m.name !== "toxicity_rate");
    const d = decide({
      route: route({ metrics }),
      now: NOW,
      window: windowWith({ toxicity: rate(150, 0) }, { toxicity: rate(120, 40) }),
    });
    expect(d.action).toBe("advance");
  });

  it("holds while an observed critical quality metric has too few samples", () => {
    const d = decide({
      route: route(),
      now: NOW,
      window: windowWith({ toxicity: rate(150, 0) }, { toxicity: rate(20, 0) }),
    });
    expect(d.action).toBe("hold");
    expect(d.reasons.join("\n")).toMatch(/toxicity_rate on all: insufficient/);
  });

  it("advances when toxicity is observed and equal", () => {
    const d = decide({
      route: route(),
      now: NOW,
      window: windowWith({ toxicity: rate(1500, 6) }, { toxicity: rate(500, 2) }),
    });
    expect(d.reasons).toEqual(["step 1/3 at 10% passed: advancing to 50%"]);
    expect(d.action).toBe("advance");
    expect(d.verdicts.find((v) => v.metric === "toxicity_rate")!.verdict).toBe("pass");
  });

  it("holds, without rolling back, a canary that clearly loses pairwise (win rate 0.2)", () => {
    const wins = Array.from({ length: 200 }, (_, i) => (i % 5 === 0 ? 1 : 0));
    const d = decide({
      route: route(),
      now: NOW,
      window: windowWith(
        { pairwise_win: values(Array(200).fill(0.5)) },
        { pairwise_win: values(wins) },
      ),
    });
    expect(d.action).toBe("hold");
    const v = d.verdicts.find((x) => x.metric === "pairwise_win_rate")!;
    expect(v.verdict).toBe("fail");
    expect(v.effect.estimate).toBeCloseTo(-0.3, 5);
  });
});
