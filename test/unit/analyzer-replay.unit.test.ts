/** In-memory rollups, incremental windows and minute-by-minute replay. */
import { describe, expect, it } from "vitest";
import { RouteSchema, type Route } from "../../contracts/config";
import { binIndex } from "../../contracts/sketch";
import { analysisWindowStart, replay } from "../../analyzer/replay/replay";
import { MinuteRollup, type RollupEvent } from "../../analyzer/replay/rollup";
import { WindowCache } from "../../analyzer/replay/window-cache";
import { logNormal, mulberry32 } from "../../analyzer/sim/prng";
import type { WindowData } from "../../analyzer/window";
import { makeOutcome } from "../fixtures/outcome";

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const MIN = 60_000;

/** Slices and bins in a fixed order, so windows built differently compare equal. */
function canonical(w: WindowData) {
  const arm = (a: WindowData["slices"][number]["stable"]) => ({
    metrics: Object.fromEntries(Object.entries(a.metrics).sort()),
    sketches: Object.fromEntries(
      Object.entries(a.sketches)
        .sort()
        .map(([k, bins]) => [k, [...bins].sort((x, y) => x[0] - y[0])]),
    ),
  });
  return {
    from: w.from,
    to: w.to,
    slices: w.slices
      .map((s) => ({ dim: s.dim, value: s.value, stable: arm(s.stable), canary: arm(s.canary) }))
      .sort((a, b) => `${a.dim}=${a.value}`.localeCompare(`${b.dim}=${b.value}`)),
  };
}

describe("MinuteRollup", () => {
  it("sums whole minutes into the slices the D1 ingest writes", () => {
    const rollup = new MinuteRollup();
    const events: RollupEvent[] = [
      makeOutcome({ ts: T0 + 1_000, variant: "canary", latencyMs: 100 }),
      makeOutcome({ ts: T0 + 2_000, variant: "canary", latencyMs: 300, cohort: "beta" }),
      makeOutcome({
        ts: T0 + 3_000,
        variant: "stable",
        country: null,
        segment: "eu",
        requestClass: "batch",
        errorClass: "http_5xx",
        metrics: { requests: 1, error: 1, failover: 0, rate_429: 0 },
      }),
      makeOutcome({ ts: T0 + MIN, variant: "canary", latencyMs: 50 }),
    ];
    for (const e of events) rollup.add(e);
    const w = rollup.window(T0, T0 + MIN);
    const labels = w.slices.map((s) => `${s.dim}=${s.value}`).sort();
    expect(labels).toEqual([
      "all=*",
      "class=batch",
      "class=none",
      "cohort=beta",
      "cohort=none",
      "country=DE",
      "country=unknown",
      "segment=default",
      "segment=eu",
    ]);
    const all = w.slices.find((s) => s.dim === "all");
    expect(all?.canary.metrics.latency_ms).toEqual({ n: 2, sum: 400, sumSq: 100_000 });
    expect(all?.canary.metrics.requests).toEqual({ n: 2, sum: 2, sumSq: 2 });
    expect(all?.stable.metrics.error).toEqual({ n: 1, sum: 1, sumSq: 1 });
    expect(all?.canary.sketches.latency_ms?.sort((a, b) => a[0] - b[0])).toEqual([
      [binIndex(100), 1],
      [binIndex(300), 1],
    ]);
    expect(all?.stable.sketches.latency_ms).toBeUndefined();
    expect(
      rollup.window(T0, T0 + 2 * MIN).slices.find((s) => s.dim === "all")?.canary.metrics.requests
        ?.n,
    ).toBe(3);
  });
});

describe("WindowCache", () => {
  it("matches a full rebuild as the window grows, moves and receives late events", () => {
    const rollup = new MinuteRollup();
    const cache = new WindowCache(rollup);
    const rand = mulberry32(3);
    const countries = ["US", "DE", "BR"];
    const add = (ts: number) =>
      rollup.add({
        ts,
        variant: rand() < 0.2 ? "canary" : "stable",
        segment: rand() < 0.1 ? "beta" : null,
        country: countries[Math.floor(rand() * 3)] ?? "US",
        cohort: null,
        requestClass: null,
        metrics: {
          requests: 1,
          error: rand() < 0.05 ? 1 : 0,
          latency_ms: logNormal(rand, 500, 0.4),
        },
      });
    for (let i = 0; i < 3000; i++) add(T0 + Math.floor(rand() * 30 * MIN));
    const check = (from: number, to: number) =>
      expect(canonical(cache.window(from, to))).toEqual(canonical(rollup.window(from, to)));
    for (let m = 1; m <= 12; m++) check(T0, T0 + m * MIN);
    add(T0 + 3 * MIN + 5); // late event in an already merged minute
    check(T0, T0 + 13 * MIN);
    check(T0 + 13 * MIN, T0 + 20 * MIN); // a new step
    check(T0 + 13 * MIN, T0 + 30 * MIN);
  });
});

function route(): Route {
  return RouteSchema.parse({
    id: "chat",
    models: ["chat"],
    stable: { id: "stable-v1", originUrl: "https://stable.example", model: "m-1" },
    canary: { id: "canary-v2", originUrl: "https://canary.example", model: "m-2" },
    weight: 10,
    rollout: {
      steps: [10, 50, 100],
      stepIndex: 0,
      stepStartedAt: new Date(T0 + 30_000).toISOString(),
      startedAt: new Date(T0).toISOString(),
    },
  });
}

/** Recorded traffic that kept a 10% canary share for the whole period. */
function recorded(minutes: number, perMinute: number): RollupEvent[] {
  const rand = mulberry32(11);
  const out: RollupEvent[] = [];
  for (let m = 0; m < minutes; m++) {
    for (let i = 0; i < perMinute; i++) {
      const failed = rand() < 0.01;
      out.push({
        ts: T0 + m * MIN + Math.floor((i * MIN) / perMinute),
        variant: rand() < 0.1 ? "canary" : "stable",
        segment: null,
        country: "DE",
        cohort: null,
        requestClass: null,
        metrics: failed
          ? { requests: 1, error: 1 }
          : { requests: 1, error: 0, latency_ms: logNormal(rand, 800, 0.5) },
      });
    }
  }
  return out;
}

describe("replay", () => {
  it("starts the analysis window at the first whole minute of the step", () => {
    expect(analysisWindowStart(route(), T0 + 5 * MIN)).toBe(T0 + MIN);
  });

  it("decides once per minute and advances when the step is healthy", () => {
    const policy = { minStepDurationMs: 5 * MIN, minCanarySamples: 300, srmAlpha: 0 };
    const { timeline, finalRoute } = replay(recorded(40, 1000), route(), policy, {
      from: T0,
      to: T0 + 40 * MIN,
    });
    expect(timeline).toHaveLength(40);
    expect(timeline[0]?.at).toBe(T0 + MIN);
    expect(timeline[0]?.action).toBe("hold");
    const advance = timeline.find((e) => e.action === "advance");
    expect(advance).toBeDefined();
    expect(advance?.weight).toBe(50);
    expect(advance?.at).toBeGreaterThanOrEqual(T0 + 6 * MIN);
    expect(finalRoute.weight).toBeGreaterThanOrEqual(50);
  });

  it("flags recorded traffic that does not follow the replayed weights", () => {
    // A surplus or a deficit: hold, not roll back, to see the flag for the whole replay.
    const policy = { minStepDurationMs: 5 * MIN, minCanarySamples: 300, srmDeficitRollback: false };
    const { timeline } = replay(recorded(40, 1000), route(), policy, {
      from: T0,
      to: T0 + 40 * MIN,
    });
    const advancedAt = timeline.findIndex((e) => e.action === "advance");
    expect(advancedAt).toBeGreaterThan(0);
    const after = timeline.slice(advancedAt + 3);
    expect(after.some((e) => e.reasons[0]?.startsWith("sample-ratio mismatch"))).toBe(true);
  });
});
