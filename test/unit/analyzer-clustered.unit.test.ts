/**
 * Clustered statistics (analyzer/stats/clustered.ts and their use in the
 * verdicts and the SRM check): users whose requests move together must not
 * be counted as independent evidence, and real faults must still show.
 */
import { describe, expect, it } from "vitest";
import { UNIT_GROUPS, unitGroup } from "../../contracts/assignment";
import { RoutingConfigSchema, type Route } from "../../contracts/config";
import { loggingRates, sampledIn, type LoggingRates } from "../../contracts/sampling";
import { makeConfig } from "../fixtures/config";
import { zipfCumulative } from "../fixtures/zipf";
import { DEFAULT_METRICS } from "../../analyzer/metrics/definitions";
import { evaluateMetric } from "../../analyzer/metrics/verdict";
import { checkSrm } from "../../analyzer/policy/srm-check";
import { ArmAccumulator, PreparedMetrics } from "../../analyzer/replay/rollup";
import {
  logNormal,
  mulberry32,
  normal,
  pickCumulative,
  type Random,
} from "../../analyzer/sim/prng";
import {
  designEffect,
  MIN_GROUPS,
  requestShareDispersion,
  stableSide,
} from "../../analyzer/stats/clustered";
import { tailExceedance } from "../../analyzer/stats/quantiles";
import type { GroupSums, Slice, WindowData } from "../../analyzer/window";

const errorRate = DEFAULT_METRICS.find((m) => m.name === "error_rate")!;
const latencyP95 = DEFAULT_METRICS.find((m) => m.name === "latency_p95")!;
const settings = { alpha: 0.0125, planned: 1000, failMargin: 0.25 };

interface ArmWorld {
  users: number;
  requests: number;
  /** Zipf exponent of activity. */
  zipf: number;
  /** Standard deviation of a user's log error propensity (mean multiplier 1). */
  errorSigma: number;
  errorRate: number;
  /** Standard deviation of a user's log latency offset. */
  latencySigma: number;
  latencyMedian: number;
  /** Per-request log-latency spread. */
  requestSigma: number;
  /** Users are their own unit (true) or every request is (false: independent). */
  keyed: boolean;
  seedOffset: number;
}

const WORLD: ArmWorld = {
  users: 300,
  requests: 20_000,
  zipf: 1.1,
  errorSigma: 1,
  errorRate: 0.02,
  latencySigma: 0.4,
  latencyMedian: 800,
  requestSigma: 0.5,
  keyed: true,
  seedOffset: 0,
};

/** One arm's rollup: users with their own propensities, requests drawn by Zipf activity. */
function arm(rand: Random, w: ArmWorld): ArmAccumulator {
  const cumulative = zipfCumulative(w.users, w.zipf);
  const s = w.errorSigma;
  const users = Array.from(cumulative, (_, i) => ({
    error: Math.min(1, w.errorRate * Math.exp(s * normal(rand) - (s * s) / 2)),
    latency: Math.exp(w.latencySigma * normal(rand)),
    unit: unitGroup(`u-${w.seedOffset}-${i}-${rand()}`),
  }));
  const out = new ArmAccumulator();
  const p = new PreparedMetrics();
  for (let r = 0; r < w.requests; r++) {
    const u = users[pickCumulative(rand, cumulative)]!;
    const failed = rand() < u.error;
    const metrics: Record<string, number> = failed
      ? { requests: 1, error: 1 }
      : {
          requests: 1,
          error: 0,
          latency_ms: logNormal(rand, w.latencyMedian * u.latency, w.requestSigma),
        };
    out.addPrepared(p.fill(metrics, w.keyed ? u.unit : Math.floor(rand() * UNIT_GROUPS)));
  }
  return out;
}

function slice(stable: ArmAccumulator, canary: ArmAccumulator): Slice {
  return { dim: "all", value: "*", stable: stable.toArmData(), canary: canary.toArmData() };
}

/** Without group sums: the same data judged as independent requests. */
function withoutGroups(s: Slice): Slice {
  const strip = (a: Slice["stable"]) => ({ metrics: a.metrics, sketches: a.sketches });
  return { ...s, stable: strip(s.stable), canary: strip(s.canary) };
}

describe("designEffect", () => {
  it("is about 1 for independent requests and large when users cluster", () => {
    const rand = mulberry32(3);
    const independent = arm(rand, { ...WORLD, keyed: false }).toArmData();
    const clustered = arm(rand, WORLD).toArmData();
    const d = (a: typeof independent, metric: string) => {
      const s = a.metrics[metric]!;
      const p = (s.sum + 1) / (s.n + 2);
      return designEffect(
        s,
        a.groups?.[metric],
        metric === "error" ? p * (1 - p) : (s.sumSq - (s.sum * s.sum) / s.n) / (s.n - 1),
      );
    };
    expect(d(independent, "error").deff).toBeLessThan(2);
    expect(d(independent, "error").groups).toBe(UNIT_GROUPS);
    expect(d(clustered, "error").deff).toBeGreaterThan(10);
    expect(d(clustered, "latency_ms").deff).toBeGreaterThan(10);
  });

  it("takes groups that do not add up to the count as absent, and too few groups as no evidence", () => {
    const sums = { n: 100, sum: 10, sumSq: 10 };
    expect(designEffect(sums, [[1, 50, 5]], 0.09)).toEqual({ deff: 1, groups: 0 });
    const few = Array.from(
      { length: MIN_GROUPS - 1 },
      (_, g) => [g, g === 0 ? 100 - (MIN_GROUPS - 2) : 1, 1] as [number, number, number],
    );
    expect(designEffect(sums, few, 0.09).deff).toBe(Number.POSITIVE_INFINITY);
  });

  it("lets the stable side count no more clustering than the canary's", () => {
    expect(stableSide({ deff: 646, groups: 64 }, { deff: 4.5, groups: 64 }).deff).toBe(4.5);
    expect(stableSide({ deff: 2, groups: 64 }, { deff: 40, groups: 64 }).deff).toBe(2);
  });
});

describe("verdicts on clustered users", () => {
  // A/A: both arms are different random users from one world. Counted as
  // independent requests, the heavy users' own propensities look like a
  // difference between the models.
  it("keeps the false-fail rate of an A/A near alpha, where independent-request variance does not", () => {
    const seeds = 120;
    let clusteredFails = 0;
    let naiveFails = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const rand = mulberry32(seed);
      const s = slice(
        arm(rand, { ...WORLD, users: 3000, requests: 40_000, seedOffset: 1 }),
        arm(rand, { ...WORLD, requests: 4000, seedOffset: 2 }),
      );
      for (const def of [errorRate, latencyP95]) {
        if (evaluateMetric(def, s, { ...settings, failMargin: 0 }).verdict === "fail")
          clusteredFails += 1;
        if (
          evaluateMetric(def, withoutGroups(s), { ...settings, failMargin: 0 }).verdict === "fail"
        )
          naiveFails += 1;
      }
    }
    // 2 metrics × 120 seeds at alpha 0.0125 per claim: about 3 expected by chance.
    expect(clusteredFails).toBeLessThanOrEqual(8);
    expect(naiveFails).toBeGreaterThan(3 * Math.max(1, clusteredFails));
  }, 60_000);

  it("still fails a canary whose every user errs three times as often", () => {
    let caught = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const rand = mulberry32(1000 + seed);
      const s = slice(
        arm(rand, { ...WORLD, users: 3000, requests: 40_000, errorSigma: 0.5 }),
        arm(rand, { ...WORLD, users: 1000, requests: 8000, errorSigma: 0.5, errorRate: 0.06 }),
      );
      if (evaluateMetric(errorRate, s, settings).verdict === "fail") caught += 1;
    }
    expect(caught).toBeGreaterThanOrEqual(18);
  }, 60_000);
});

describe("tailExceedance", () => {
  const bins = (rand: Random, n: number, sigma: number) => {
    const a = new ArmAccumulator();
    for (let i = 0; i < n; i++) a.add({ latency_ms: logNormal(rand, 800, sigma) });
    return a.toArmData().sketches.latency_ms!;
  };
  const test = { q: 0.95, bar: 1.05, kind: "ratio" as const, higherIsWorse: true };
  const cs = { alpha: 0.025, planned: 1000 };

  it("sees no heavier tail between two draws of one distribution", () => {
    let fails = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const rand = mulberry32(seed);
      const t = tailExceedance(
        bins(rand, 20_000, 0.5),
        bins(rand, 1000, 0.5),
        test,
        { stable: 1, canary: 1 },
        cs,
      )!;
      if (t.effect.lower > 0) fails += 1;
    }
    expect(fails).toBeLessThanOrEqual(3);
  });

  it("catches p95 +30% with the median unchanged within 1,000 canary samples", () => {
    const sigma = Math.log(1.3 * Math.exp(1.645 * 0.5)) / 1.645;
    let caught = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const rand = mulberry32(500 + seed);
      const t = tailExceedance(
        bins(rand, 20_000, 0.5),
        bins(rand, 1000, sigma),
        test,
        { stable: 1, canary: 1 },
        cs,
      )!;
      if (t.effect.lower > 0) caught += 1;
    }
    expect(caught).toBeGreaterThanOrEqual(38);
  });
});

describe("SRM on assignment units", () => {
  const route: Route = RoutingConfigSchema.parse(
    makeConfig({
      routes: [{ ...makeConfig().routes[0]!, weight: 50 }],
    }),
  ).routes[0]!;

  /** Request counts per arm from users assigned 50/50 (or `canaryShare`), each user in one group. */
  function window(
    rand: Random,
    o: {
      users: number;
      requests: number;
      zipf: number;
      canaryShare: number;
      lose?: number;
      /** The edge counted the lost requests before their outcomes were lost. */
      countLost?: boolean;
      /** Sampled logging (contracts/sampling.ts): each arm's rate, per user. */
      logging?: LoggingRates;
      /** Attach the edge's assignment counts (every request, logged or not). */
      assignments?: boolean;
      /** The last requests of this fraction have no counts yet (windows not sent). */
      uncounted?: number;
    },
  ): WindowData {
    const stable = new ArmAccumulator();
    const canary = new ArmAccumulator();
    const p = new PreparedMetrics();
    const cumulative = zipfCumulative(o.users, o.zipf);
    const armOf = Array.from({ length: o.users }, () => rand() < o.canaryShare);
    const unitOf = Array.from({ length: o.users }, (_, i) => unitGroup(`srm-${i}`));
    const rateOf = (canaryArm: boolean) =>
      o.logging ? (canaryArm ? o.logging.canary : o.logging.stable) : 1;
    const loggedOf = Array.from({ length: o.users }, (_, i) =>
      sampledIn(`srm-${i}`, rateOf(armOf[i]!)),
    );
    const assigned = { stable: new Map<number, number>(), canary: new Map<number, number>() };
    const sent = { stable: 0, canary: 0 };
    for (let r = 0; r < o.requests; r++) {
      const u = pickCumulative(rand, cumulative);
      const toCanary = armOf[u]!;
      const lost = toCanary && o.lose !== undefined && o.lose > 0 && rand() < o.lose;
      if (lost && !o.countLost) continue;
      const counted = r < o.requests * (1 - (o.uncounted ?? 0));
      const counts = assigned[toCanary ? "canary" : "stable"];
      if (counted) counts.set(unitOf[u]!, (counts.get(unitOf[u]!) ?? 0) + 1);
      if (!loggedOf[u]) continue;
      if (counted) sent[toCanary ? "canary" : "stable"] += 1;
      if (lost) continue;
      const requests = 1 / rateOf(toCanary);
      (toCanary ? canary : stable).addPrepared(p.fill({ requests }, unitOf[u]!));
    }
    const groups = (m: Map<number, number>): GroupSums => [...m].map(([g, n]) => [g, n, n]);
    const s = slice(stable, canary);
    const segmented = { ...s, dim: "segment" as const, value: "default" };
    return o.assignments
      ? {
          from: 0,
          to: 1,
          slices: [segmented],
          assignments: [
            {
              segment: "default",
              stable: groups(assigned.stable),
              canary: groups(assigned.canary),
              sent,
            },
          ],
        }
      : { from: 0, to: 1, slices: [s] };
  }

  it("does not flag heavy users as a broken split, where request counts alone do", () => {
    let flagged = 0;
    let naive = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const w = window(mulberry32(seed), {
        users: 2000,
        requests: 50_000,
        zipf: 1.1,
        canaryShare: 0.5,
      });
      if (checkSrm(route, w, 0.001).mismatch) flagged += 1;
      if (checkSrm(route, { ...w, slices: w.slices.map(withoutGroups) }, 0.001).mismatch)
        naive += 1;
    }
    expect(flagged).toBeLessThanOrEqual(1);
    expect(naive).toBeGreaterThan(10);
  }, 60_000);

  it("catches a 52/48 split and 5% of canary outcomes lost among many light users", () => {
    let split = 0;
    let lost = 0;
    for (let seed = 1; seed <= 10; seed++) {
      // Detection is bounded by users, not requests: a fixed set of users
      // splits with an error of its own, which more requests do not shrink.
      const opts = { users: 200_000, requests: 400_000, zipf: 0.3 };
      if (checkSrm(route, window(mulberry32(seed), { ...opts, canaryShare: 0.52 }), 0.001).mismatch)
        split += 1;
      if (
        checkSrm(route, window(mulberry32(seed), { ...opts, canaryShare: 0.5, lose: 0.05 }), 0.001)
          .mismatch
      )
        lost += 1;
    }
    expect(split).toBeGreaterThanOrEqual(9);
    expect(lost).toBeGreaterThanOrEqual(9);
  }, 60_000);

  // Sampling keeps the test exact but leaves it fewer units: at weight 50 the
  // 4% cap logs 8% of canary and 32% of stable users, whose information on
  // the split is 0.064 / 0.25 of logging everyone. So the sizes scale by its
  // inverse, 4× (docs/capacity.md › "What sampling costs the SRM test").
  it("with sampled logging at weight 50 (canary 8%, stable 32% logged), catches a 52/48 split and 5% lost at 4× the users, and passes the A/A", () => {
    const logging = loggingRates(50, { stableMultiple: 4, canaryShare: 4, minRate: 0.01 });
    expect(logging).toEqual({ canary: 0.08, stable: 0.32 });
    let split = 0;
    let lost = 0;
    let falseFlags = 0;
    for (let seed = 1; seed <= 5; seed++) {
      const opts = { users: 800_000, requests: 1_600_000, zipf: 0.3, logging };
      if (checkSrm(route, window(mulberry32(seed), { ...opts, canaryShare: 0.52 }), 0.001).mismatch)
        split += 1;
      const lossy = window(mulberry32(seed), { ...opts, canaryShare: 0.5, lose: 0.05 });
      if (checkSrm(route, lossy, 0.001).mismatch) lost += 1;
      const aa = checkSrm(route, window(mulberry32(seed), { ...opts, canaryShare: 0.5 }), 0.001);
      if (aa.mismatch) falseFlags += 1;
      // The promised share is of logged events: 8% of half against 32% of half.
      expect(aa.tests[0]!.expectedShare).toBeCloseTo(0.2, 6);
      expect(aa.tests[0]!.logging).toEqual(logging);
    }
    expect(split).toBe(5);
    expect(lost).toBe(5);
    expect(falseFlags).toBe(0);
  }, 120_000);

  // With the edge's assignment counts the split is tested on every request,
  // as without sampling, and outcomes lost after the edge counted them on the
  // logged events against the events the edge says it sent.
  it("with sampled logging and assignment counts at weight 50, catches a 52/48 split and 5% lost at the unsampled test's users, and passes the A/A", () => {
    const logging = loggingRates(50, { stableMultiple: 4, canaryShare: 4, minRate: 0.01 });
    const caught = { split: 0, lostUncounted: 0, lostCounted: 0, falseFlags: 0, lagFlags: 0 };
    for (let seed = 1; seed <= 10; seed++) {
      const opts = { users: 200_000, requests: 400_000, zipf: 0.3, logging, assignments: true };
      const check = (o: Partial<Parameters<typeof window>[1]>) =>
        checkSrm(route, window(mulberry32(seed), { ...opts, canaryShare: 0.5, ...o }), 0.001);
      if (check({ canaryShare: 0.52 }).mismatch) caught.split += 1;
      // Lost before the edge counted them (no count, no outcome) and after (counted, never logged).
      if (check({ lose: 0.05 }).mismatch) caught.lostUncounted += 1;
      const lost = check({ lose: 0.05, countLost: true });
      if (lost.mismatch) caught.lostCounted += 1;
      expect(lost.tests.find((t) => t.mismatch)?.counts).toBe("logged_vs_sent");
      const aa = check({});
      if (aa.mismatch) caught.falseFlags += 1;
      expect(aa.tests.map((t) => t.counts)).toEqual(["assignments", "logged_vs_sent"]);
      // The promised share is the plain weight: the counts are not sampled.
      expect(aa.tests[0]!.expectedShare).toBe(0.5);
      // A third of the counts not arrived yet (whole windows of both arms): still no flag.
      if (check({ uncounted: 0.3 }).mismatch) caught.lagFlags += 1;
    }
    expect(caught).toEqual({
      split: 10,
      lostUncounted: 10,
      lostCounted: 10,
      falseFlags: 0,
      lagFlags: 0,
    });
  }, 120_000);

  it("gives no evidence from fewer groups than MIN_GROUPS", () => {
    const d = requestShareDispersion([[0, 100, 100]], [[0, 100, 100]]);
    expect(d.deff).toBe(Number.POSITIVE_INFINITY);
  });
});
