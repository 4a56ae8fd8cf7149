/**
 * Sampled outcome logging (contracts/sampling.ts): the rates, the per-unit
 * decision, and that weighted counts and unweighted rates stay unbiased on
 * seeded traffic with heavy users (docs/capacity.md › "Sampled logging").
 */
import { describe, expect, it } from "vitest";
import { loggingRates, requestLoggingRate, sampledIn } from "../../contracts/sampling";
import {
  ingestCutoff,
  ledgerKeepFromHour,
  HOUR_MS,
  storageSettings,
} from "../../contracts/storage";
import { mulberry32, pickCumulative } from "../../analyzer/sim/prng";
import { zipfCumulative } from "../fixtures/zipf";

const DEFAULTS = { stableMultiple: 4, canaryShare: 4, minRate: 0.01 };

describe("logging rates", () => {
  it("logs the canary in full up to canaryShare and the stable arm at 4× the canary's count", () => {
    for (const w of [0.5, 1, 2, 4]) {
      const r = loggingRates(w, DEFAULTS);
      expect(r.canary).toBe(1);
      // Logged stable per logged canary: rate × stable share / canary share.
      expect((r.stable * (100 - w)) / (r.canary * w)).toBeCloseTo(4, 3);
    }
    const high = loggingRates(50, DEFAULTS);
    expect(high).toEqual({ canary: 0.08, stable: 0.32 });
    // The canary arm never logs more than 4% of the route's traffic.
    for (const w of [5, 10, 25, 50, 90])
      expect(loggingRates(w, DEFAULTS).canary * w).toBeCloseTo(4, 3);
  });

  it("keeps the stable arm at minRate without a canary, and logs everything at the edges of the knobs", () => {
    expect(loggingRates(0, DEFAULTS).stable).toBe(0.01);
    expect(loggingRates(100, DEFAULTS)).toEqual({ canary: 0.04, stable: 1 });
    expect(loggingRates(30, { stableMultiple: 4, canaryShare: 100, minRate: 1 })).toEqual({
      canary: 1,
      stable: 1,
    });
    // A route's override wins field by field.
    expect(requestLoggingRate(DEFAULTS, { minRate: 1 }, 0, "stable")).toBe(1);
    expect(requestLoggingRate(DEFAULTS, undefined, 50, "canary")).toBe(0.08);
  });
});

describe("the per-unit decision", () => {
  it("is the same for a unit at every call and keeps a user's requests in or out together", () => {
    for (let i = 0; i < 1000; i++) expect(sampledIn(`u-${i}`, 0.3)).toBe(sampledIn(`u-${i}`, 0.3));
    expect(sampledIn("anyone", 1)).toBe(true);
  });

  it("logs the rate's share of units (within 4 standard errors over 100,000 units)", () => {
    for (const rate of [0.01, 0.0404, 0.32]) {
      let inside = 0;
      for (let i = 0; i < 100_000; i++) if (sampledIn(`unit-${i}`, rate)) inside += 1;
      const se = Math.sqrt(100_000 * rate * (1 - rate));
      expect(Math.abs(inside - 100_000 * rate)).toBeLessThan(4 * se);
    }
  });

  it("is unrelated to the assignment hash: a monotone rate keeps nested samples", () => {
    let nested = true;
    for (let i = 0; i < 5000; i++)
      if (sampledIn(`n-${i}`, 0.1) && !sampledIn(`n-${i}`, 0.2)) nested = false;
    expect(nested).toBe(true);
  });
});

describe("weighted counts and rates", () => {
  /**
   * One arm of heavy-tailed users with their own error propensities, logged at
   * `rate`: the true requests and errors, and the estimates from the logged
   * events (requests weighted 1 / rate, the error rate unweighted).
   */
  function arm(seed: number, rate: number) {
    const rand = mulberry32(seed);
    const users = 5000;
    const cumulative = zipfCumulative(users, 0.8);
    const propensity = Array.from({ length: users }, () => 0.02 * Math.exp(rand() * 2 - 1));
    let requests = 0;
    let errors = 0;
    let loggedSum = 0;
    let loggedN = 0;
    let loggedErrors = 0;
    for (let r = 0; r < 50_000; r++) {
      const u = pickCumulative(rand, cumulative);
      const error = rand() < propensity[u]! ? 1 : 0;
      requests += 1;
      errors += error;
      if (!sampledIn(`seed${seed}-user${u}`, rate)) continue;
      loggedN += 1;
      loggedSum += 1 / rate;
      loggedErrors += error;
    }
    return { requests, errors, estRequests: loggedSum, estErrorRate: loggedErrors / loggedN };
  }

  it("estimates requests and error rates without bias over 40 seeds at rates 4% and 32%", () => {
    for (const rate of [0.04, 0.32]) {
      const relCount: number[] = [];
      const rateDiff: number[] = [];
      for (let seed = 1; seed <= 40; seed++) {
        const a = arm(seed, rate);
        relCount.push(a.estRequests / a.requests - 1);
        rateDiff.push(a.estErrorRate - a.errors / a.requests);
      }
      const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
      const se = (xs: number[]) => {
        const m = mean(xs);
        return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1) / xs.length);
      };
      // Unbiased: the mean error is within 4 of its standard errors of 0.
      expect(Math.abs(mean(relCount))).toBeLessThan(4 * se(relCount));
      expect(Math.abs(mean(rateDiff))).toBeLessThan(4 * se(rateDiff));
      // And not vacuous: the estimates do vary (a sample, not the whole).
      expect(se(relCount)).toBeGreaterThan(0);
    }
  }, 60_000);
});

describe("storage windows", () => {
  it("prunes ledger keys only an hour after the consumer stops accepting their events", () => {
    const rand = mulberry32(3);
    for (let i = 0; i < 10_000; i++) {
      const window = 1 + Math.floor(rand() * 336);
      const purgeAt = 1.7e12 + rand() * 1e11;
      // A consumer run up to an hour before the purge (clocks disagree) or any time after.
      const consumeAt = purgeAt - HOUR_MS + rand() * 10 * HOUR_MS;
      const acceptedTs = ingestCutoff(consumeAt, window) + rand() * HOUR_MS;
      expect(Math.floor(acceptedTs / HOUR_MS)).toBeGreaterThanOrEqual(
        ledgerKeepFromHour(purgeAt, window),
      );
    }
  });

  it("reads the vars with defaults and names a bad one", () => {
    expect(storageSettings({}).settings).toEqual({
      ingestWindowHours: 12,
      rawRowsHours: 24,
      minuteRollupsDays: 2,
      minuteRollupDims: ["all", "segment", "country", "cohort", "class"],
      stepDetailHours: 24,
    });
    const bad = storageSettings({ INGEST_WINDOW_HOURS: "0", OUTCOME_ROWS_HOURS: "x" });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(
      /INGEST_WINDOW_HOURS must be 1\.\.336.*OUTCOME_ROWS_HOURS/,
    );
    expect(bad.settings.ingestWindowHours).toBe(12);
  });
});
