/**
 * The pure parts of `llm-canary load`: weighted lists, durations, seeded
 * request shapes, headers, quantiles and the summary.
 */
import { describe, expect, it } from "vitest";
import {
  parseDuration,
  parseWeighted,
  shapeHeaders,
  shapes,
  type TrafficMix,
} from "../../cli/load/mix";
import { quantile, quantiles, summarize, type RequestResult } from "../../cli/load/stats";

const mix = (over: Partial<TrafficMix> = {}): TrafficMix => ({
  countries: [],
  cohorts: [],
  classes: [],
  users: 0,
  streamShare: 0,
  ...over,
});

describe("parseWeighted", () => {
  it("reads values with weights, a bare value weighing 1", () => {
    expect(parseWeighted("US:40, DE:25,BR")).toEqual({
      ok: true,
      value: [
        { value: "US", weight: 40 },
        { value: "DE", weight: 25 },
        { value: "BR", weight: 1 },
      ],
    });
  });

  it("names the bad part", () => {
    expect(parseWeighted("US:x")).toEqual({
      ok: false,
      error: 'weight of "US" must be a number ≥ 0, got "x"',
    });
    expect(parseWeighted("US:0,DE:0").ok).toBe(false);
    expect(parseWeighted("a b:1").ok).toBe(false);
  });
});

describe("parseDuration", () => {
  it.each([
    ["500ms", 500],
    ["30s", 30_000],
    ["2m", 120_000],
    ["1.5", 1500],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, value: ms });
  });

  it("refuses other text", () => {
    expect(parseDuration("soon").ok).toBe(false);
  });
});

describe("shapes", () => {
  it("is deterministic for a seed", () => {
    const m = mix({ countries: [{ value: "US", weight: 1 }], users: 50, streamShare: 0.5 });
    const a = shapes(m, 7);
    const b = shapes(m, 7);
    for (let i = 0; i < 20; i++) expect(a()).toEqual(b());
  });

  it("follows the weights and the streaming share", () => {
    const next = shapes(
      mix({
        countries: [
          { value: "US", weight: 3 },
          { value: "DE", weight: 1 },
        ],
        cohorts: [
          { value: "internal", weight: 1 },
          { value: "-", weight: 9 },
        ],
        users: 10,
        streamShare: 0.25,
      }),
      1,
    );
    const n = 20_000;
    let us = 0;
    let internal = 0;
    let streams = 0;
    const users = new Set<string>();
    for (let i = 0; i < n; i++) {
      const s = next();
      if (s.country === "US") us += 1;
      if (s.cohort === "internal") internal += 1;
      if (s.stream) streams += 1;
      users.add(s.user ?? "");
    }
    // Binomial standard errors are below 0.004 here; 0.02 is five of them.
    expect(us / n).toBeCloseTo(0.75, 1);
    expect(Math.abs(internal / n - 0.1)).toBeLessThan(0.02);
    expect(Math.abs(streams / n - 0.25)).toBeLessThan(0.02);
    expect(users.size).toBe(10);
  });

  it("sends no header for `-` or an empty list", () => {
    const s = shapes(mix({ cohorts: [{ value: "-", weight: 1 }] }), 3)();
    expect(s.cohort).toBeNull();
    expect(s.user).toBeNull();
    expect(shapeHeaders(s)).toEqual({});
  });

  it("maps a shape to the edge's headers", () => {
    expect(
      shapeHeaders({
        country: "BR",
        cohort: "beta",
        requestClass: "batch",
        user: "user-3",
        stream: true,
      }),
    ).toEqual({
      "x-canary-geo": "country=BR",
      "x-canary-cohort": "beta",
      "x-request-class": "batch",
      "x-canary-user": "user-3",
    });
  });
});

describe("quantiles", () => {
  it("uses nearest rank", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(sorted, 0.5)).toBe(50);
    expect(quantile(sorted, 0.99)).toBe(99);
    expect(quantile(sorted, 1)).toBe(100);
    expect(quantile([7], 0.01)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it("summarizes a sample", () => {
    expect(quantiles([3, 1, 2, 4])).toEqual({ n: 4, mean: 2.5, p50: 2, p95: 4, p99: 4, max: 4 });
    expect(quantiles([])).toBeNull();
  });
});

describe("summarize", () => {
  const r = (over: Partial<RequestResult>): RequestResult => ({
    startedAt: 0,
    status: 200,
    variant: "stable",
    stream: false,
    latencyMs: 10,
    ttftMs: null,
    error: null,
    country: null,
    cohort: null,
    requestClass: null,
    ...over,
  });

  it("counts failures by status and error, and shares by variant", () => {
    const s = summarize(
      [
        r({ latencyMs: 10 }),
        r({ variant: "canary", latencyMs: 30, stream: true, ttftMs: 5 }),
        r({ status: 502, latencyMs: 1 }),
        r({ status: 0, variant: null, error: "ECONNREFUSED" }),
        r({ stream: true, error: "stream ended without [DONE]" }),
      ],
      1000,
    );
    expect(s.requests).toBe(5);
    expect(s.ok).toBe(2);
    expect(s.failed).toBe(3);
    expect(s.errors.byStatus).toEqual({ "0": 1, "200": 1, "502": 1 });
    expect(s.errors.byError).toEqual({ ECONNREFUSED: 1, "stream ended without [DONE]": 1 });
    expect(s.variants).toEqual({
      canary: { count: 1, share: 0.2 },
      none: { count: 1, share: 0.2 },
      stable: { count: 3, share: 0.6 },
    });
    expect(s.rps).toBe(5);
    // Latency covers successful requests only.
    expect(s.latencyMs).toMatchObject({ n: 2, p50: 10, max: 30 });
    expect(s.ttftMs).toMatchObject({ n: 1, p50: 5 });
  });
});
