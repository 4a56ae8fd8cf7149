import { describe, expect, it } from "vitest";
import { addToBins } from "../../contracts/sketch";
import type { ArmData, WindowData } from "../../analyzer/window";
import { summarizeArm, summarizeWindow } from "../../worker/metrics/summary";

function arm(latencies: number[], errors: number, tps: number[] = []): ArmData {
  const bins = new Map<number, number>();
  for (const v of latencies) addToBins(bins, v);
  const n = latencies.length + errors;
  const sums = (xs: number[]) => ({
    n: xs.length,
    sum: xs.reduce((a, b) => a + b, 0),
    sumSq: xs.reduce((a, b) => a + b * b, 0),
  });
  return {
    metrics: {
      requests: { n, sum: n, sumSq: n },
      error: { n, sum: errors, sumSq: errors },
      latency_ms: sums(latencies),
      ...(tps.length ? { tokens_per_sec: sums(tps) } : {}),
    },
    sketches: { latency_ms: [...bins] },
  };
}

describe("summarizeArm", () => {
  it("counts, rates and reads quantiles within the sketch's 1% accuracy", () => {
    // 1..100 ms: the lower-rank p50 is 50 ms and p95 is 95 ms.
    const latencies = Array.from({ length: 100 }, (_, i) => i + 1);
    const s = summarizeArm(arm(latencies, 25, [40, 60]));
    expect(s.requests).toBe(125);
    expect(s.errors).toBe(25);
    expect(s.errorRate).toBeCloseTo(0.2, 12);
    expect(s.latencyMs.p50! / 50).toBeGreaterThan(0.99);
    expect(s.latencyMs.p50! / 50).toBeLessThan(1.01);
    expect(s.latencyMs.p95! / 95).toBeGreaterThan(0.99);
    expect(s.latencyMs.p95! / 95).toBeLessThan(1.01);
    expect(s.ttftMs).toEqual({ p50: null, p95: null });
    expect(s.tokensPerSec).toBe(50);
  });

  it("reports nulls, not zeros, for an arm without traffic", () => {
    expect(summarizeArm({ metrics: {}, sketches: {} })).toEqual({
      requests: 0,
      errors: 0,
      errorRate: null,
      latencyMs: { p50: null, p95: null },
      ttftMs: { p50: null, p95: null },
      tokensPerSec: null,
    });
  });
});

describe("summarizeWindow", () => {
  it("puts the all slice first, then dimensions in order and values sorted", () => {
    const empty = { metrics: {}, sketches: {} };
    const window: WindowData = {
      from: 0,
      to: 1,
      slices: [
        { dim: "country", value: "US", stable: empty, canary: empty },
        { dim: "segment", value: "default", stable: empty, canary: empty },
        { dim: "country", value: "DE", stable: empty, canary: arm([10], 0) },
        { dim: "all", value: "*", stable: empty, canary: empty },
      ],
    };
    const out = summarizeWindow(window);
    expect(out.map((s) => s.slice)).toEqual(["all", "segment=default", "country=DE", "country=US"]);
    expect(out[2]!.canary.requests).toBe(1);
  });
});
