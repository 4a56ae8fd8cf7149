/** Metric definitions, verdicts and the multiplicity split across slices. */
import { describe, expect, it } from "vitest";
import { addToBins } from "../../contracts/sketch";
import {
  DEFAULT_METRICS,
  MetricDefinitionSchema,
  type MetricDefinition,
} from "../../analyzer/metrics/definitions";
import { evaluateWindow } from "../../analyzer/metrics/evaluate";
import { evaluateMetric, judge } from "../../analyzer/metrics/verdict";
import { logNormal, mulberry32 } from "../../analyzer/sim/prng";
import type { ArmData, Slice, SliceDim } from "../../analyzer/window";

function arm(seed: number, n: number, errors: number, medianMs: number, tps = 40): ArmData {
  const rand = mulberry32(seed);
  const bins = new Map<number, number>();
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n - errors; i++) {
    const v = logNormal(rand, medianMs, 0.5);
    addToBins(bins, v);
    sum += v;
    sumSq += v * v;
  }
  const ok = n - errors;
  return {
    metrics: {
      requests: { n, sum: n, sumSq: n },
      error: { n, sum: errors, sumSq: errors },
      latency_ms: { n: ok, sum, sumSq },
      tokens_per_sec: { n: ok, sum: tps * ok, sumSq: tps * tps * ok * 1.01 },
    },
    sketches: { latency_ms: [...bins] },
  };
}

const slice = (stable: ArmData, canary: ArmData, dim: SliceDim = "all", value = "all"): Slice => ({
  dim,
  value,
  stable,
  canary,
});

const def = (name: string): MetricDefinition => {
  const d = DEFAULT_METRICS.find((m) => m.name === name);
  if (!d) throw new Error(`no default metric ${name}`);
  return d;
};

const settings = { alpha: 0.0125, planned: 1000, failMargin: 0.25 };

describe("metric definitions", () => {
  it("default to critical error rate and p95 latency among the request metrics", () => {
    const required = DEFAULT_METRICS.filter((m) => m.critical && !m.optional);
    expect(required.map((m) => m.name)).toEqual(["error_rate", "latency_p95"]);
    expect(DEFAULT_METRICS.map((m) => m.name).slice(0, 10)).toEqual([
      "error_rate",
      "stream_cut_rate",
      "rate_429",
      "latency_p50",
      "latency_p95",
      "latency_p99",
      "ttft_p50",
      "ttft_p95",
      "tokens_per_sec",
      "refusal_rate",
    ]);
  });

  it("are data: a quality metric is one more entry", () => {
    const parsed = MetricDefinitionSchema.parse({
      name: "refusal_rate",
      source: "refusal",
      stat: "rate",
      direction: "higher_is_worse",
      threshold: { kind: "absolute", value: 0.02 },
    });
    expect(parsed.critical).toBe(false);
  });

  it("reject a relative drop of 100% or more and bad names", () => {
    const bad = MetricDefinitionSchema.safeParse({
      name: "Tokens",
      source: "tokens_per_sec",
      stat: "mean",
      direction: "lower_is_worse",
      threshold: { kind: "relative", value: 1 },
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join("."))).toEqual(["name", "threshold.value"]);
  });
});

describe("judge", () => {
  const e = (estimate: number, lower: number, upper: number) => ({ estimate, lower, upper });
  it.each([
    ["pass below the limit", e(1.05, 0.98, 1.15), "pass"],
    ["fail beyond the bar with the estimate past the limit", e(1.3, 1.08, 1.5), "fail"],
    ["inconclusive when the estimate is within the limit", e(1.15, 1.08, 1.25), "inconclusive"],
    ["inconclusive when the interval reaches below the bar", e(1.3, 1.02, 1.6), "inconclusive"],
  ] as const)("higher is worse: %s", (_, effect, verdict) => {
    expect(judge(effect, "higher_is_worse", 1.2, 1.05)).toBe(verdict);
  });

  it.each([
    ["pass above the limit", e(0.95, 0.85, 1.02), "pass"],
    ["fail below the bar", e(0.7, 0.6, 0.9), "fail"],
    ["inconclusive otherwise", e(0.85, 0.75, 0.97), "inconclusive"],
  ] as const)("lower is worse: %s", (_, effect, verdict) => {
    expect(judge(effect, "lower_is_worse", 0.8, 0.95)).toBe(verdict);
  });

  it("with margin 1 requires the whole interval beyond the limit", () => {
    expect(judge(e(1.3, 1.1, 1.5), "higher_is_worse", 1.2, 1.2)).toBe("inconclusive");
    expect(judge(e(1.4, 1.21, 1.6), "higher_is_worse", 1.2, 1.2)).toBe("fail");
  });
});

describe("evaluateMetric", () => {
  it("fails a canary with 3% errors against 1% and records why", () => {
    const v = evaluateMetric(
      def("error_rate"),
      slice(arm(1, 100_000, 1000, 800), arm(2, 3000, 90, 800)),
      settings,
    );
    expect(v.verdict).toBe("fail");
    expect(v.stable).toEqual({ n: 100_000, estimate: 0.01 });
    expect(v.canary).toEqual({ n: 3000, estimate: 0.03 });
    expect(v.effect.kind).toBe("difference");
    expect(v.effect.estimate).toBeCloseTo(0.02, 12);
    expect(v.effect.lower).toBeGreaterThan(0.0025);
    expect(v.threshold).toEqual({
      kind: "absolute",
      value: 0.01,
      direction: "higher_is_worse",
      limit: 0.01,
    });
    expect(v.failBar).toBeCloseTo(0.0025, 12);
    expect(v.alpha).toBe(0.0125);
    expect(v.method).toContain("confidence sequence");
    expect(v.reason).toMatch(/^error_rate on all: fail, canary−stable \+2\.00 pp \[/);
  });

  it("passes an equal error rate once the interval is inside the limit", () => {
    const v = evaluateMetric(
      def("error_rate"),
      slice(arm(1, 100_000, 1000, 800), arm(2, 5000, 50, 800)),
      settings,
    );
    expect(v.verdict).toBe("pass");
    expect(v.effect.upper).toBeLessThan(0.01);
  });

  it("is insufficient below the minimum samples", () => {
    const v = evaluateMetric(
      def("latency_p95"),
      slice(arm(1, 10_000, 0, 800), arm(2, 150, 0, 2000)),
      settings,
    );
    expect(v.verdict).toBe("insufficient");
    expect(v.reason).toContain("need 200 per arm");
  });

  it("fails p95 latency 30% higher and passes an identical one", () => {
    const slow = evaluateMetric(
      def("latency_p95"),
      slice(arm(1, 50_000, 0, 800), arm(2, 3000, 0, 1040)),
      settings,
    );
    expect(slow.verdict).toBe("fail");
    expect(slow.effect.kind).toBe("ratio");
    expect(slow.effect.estimate).toBeGreaterThan(1.2);
    const same = evaluateMetric(
      def("latency_p95"),
      slice(arm(1, 50_000, 0, 800), arm(2, 20_000, 0, 800)),
      settings,
    );
    expect(same.verdict).toBe("pass");
    expect(same.effect.upper).toBeLessThan(1.2);
  });

  it("fails tokens per second 30% lower (lower is worse)", () => {
    const v = evaluateMetric(
      def("tokens_per_sec"),
      slice(arm(1, 20_000, 0, 800, 40), arm(2, 2000, 0, 800, 28)),
      settings,
    );
    expect(v.verdict).toBe("fail");
    expect(v.effect.estimate).toBeCloseTo(0.7, 6);
    expect(v.threshold.limit).toBeCloseTo(0.8, 12);
  });

  it("is insufficient for metrics the arms never reported", () => {
    const v = evaluateMetric(
      def("ttft_p95"),
      slice(arm(1, 20_000, 0, 800), arm(2, 2000, 0, 800)),
      settings,
    );
    expect(v.verdict).toBe("insufficient");
    expect(v.stable.n).toBe(0);
  });
});

describe("evaluateWindow", () => {
  it("gives the all slice half the budget and splits the rest over testable slices", () => {
    const window = {
      from: 0,
      to: 60_000,
      slices: [
        slice(arm(1, 50_000, 500, 800), arm(2, 2000, 20, 800)),
        slice(arm(3, 25_000, 250, 800), arm(4, 1000, 10, 800), "country", "DE"),
        slice(arm(5, 25_000, 250, 800), arm(6, 1000, 10, 800), "country", "US"),
        slice(arm(7, 30, 0, 800), arm(8, 2, 0, 800), "country", "FR"),
      ],
    };
    const verdicts = evaluateWindow(window, DEFAULT_METRICS, {
      alpha: 0.05,
      planned: 1000,
      failMargin: 0.25,
    });
    // Metrics nobody observed (ttft, quality signals, ...) appear on `all` only.
    expect(verdicts.filter((v) => v.slice.dim === "all")).toHaveLength(DEFAULT_METRICS.length);
    expect(verdicts.filter((v) => v.slice.value === "DE").map((v) => v.metric)).toEqual([
      "error_rate",
      "latency_p50",
      "latency_p95",
      "latency_p99",
      "tokens_per_sec",
    ]);
    const alphaOf = (label: string) =>
      verdicts.find((v) => `${v.slice.dim}=${v.slice.value}` === label && v.metric === "error_rate")
        ?.alpha;
    expect(alphaOf("all=all")).toBe(0.0125);
    // Two testable countries (FR is too small to fail and does not count).
    expect(alphaOf("country=DE")).toBe(0.00625);
    expect(alphaOf("country=FR")).toBe(0.00625);
  });
});
