/** `decide`: every rule of the rollout policy on hand-built windows. */
import { describe, expect, it } from "vitest";
import { RouteSchema, type Route } from "../../contracts/config";
import { addToBins } from "../../contracts/sketch";
import { decide, routeToWrite, SRM_ADVICE } from "../../analyzer/policy/decide";
import { DEFAULT_POLICY, resolvePolicy } from "../../analyzer/policy/policy";
import { logNormal, mulberry32 } from "../../analyzer/sim/prng";
import type { ArmData, Slice, SliceDim, WindowData } from "../../analyzer/window";

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const MIN = 60_000;

// Arms are immutable once built; the big stable arms repeat across tests.
const arms = new Map<string, ArmData>();

function arm(seed: number, n: number, errorRate: number, medianMs: number): ArmData {
  const key = `${seed}:${n}:${errorRate}:${medianMs}`;
  const cached = arms.get(key);
  if (cached) return cached;
  const built = buildArm(seed, n, errorRate, medianMs);
  arms.set(key, built);
  return built;
}

function buildArm(seed: number, n: number, errorRate: number, medianMs: number): ArmData {
  const rand = mulberry32(seed);
  const errors = Math.round(n * errorRate);
  const bins = new Map<number, number>();
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n - errors; i++) {
    const v = logNormal(rand, medianMs, 0.5);
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

interface SliceSpec {
  dim: SliceDim;
  value: string;
  stable: number;
  canary: number;
  canaryErrorRate?: number;
  canaryMedianMs?: number;
}

function windowOf(specs: SliceSpec[], to = T0 + 15 * MIN): WindowData {
  const slices: Slice[] = specs.map((s, i) => ({
    dim: s.dim,
    value: s.value,
    stable: arm(2 * i + 1, s.stable, 0.01, 800),
    canary: arm(2 * i + 2, s.canary, s.canaryErrorRate ?? 0.01, s.canaryMedianMs ?? 800),
  }));
  return { from: T0, to, slices };
}

/** A healthy 1% step: `all`, the default segment and two countries. */
function healthy(canaryAll = 6000, canaryBR: Partial<SliceSpec> = {}): SliceSpec[] {
  const stableAll = canaryAll * 99;
  return [
    { dim: "all", value: "all", stable: stableAll, canary: canaryAll },
    { dim: "segment", value: "default", stable: stableAll, canary: canaryAll },
    { dim: "country", value: "US", stable: stableAll * 0.8, canary: canaryAll * 0.8 },
    { dim: "country", value: "BR", stable: stableAll * 0.2, canary: canaryAll * 0.2, ...canaryBR },
  ];
}

function route(overrides: Partial<Route> = {}, stepIndex = 0): Route {
  const steps = [1, 5, 10, 25, 50, 100];
  return RouteSchema.parse({
    id: "chat",
    models: ["chat"],
    stable: { id: "stable-v1", originUrl: "https://stable.example", model: "m-1" },
    canary: { id: "canary-v2", originUrl: "https://canary.example", model: "m-2" },
    weight: steps[stepIndex],
    rollout: {
      steps,
      stepIndex,
      stepStartedAt: new Date(T0).toISOString(),
      startedAt: new Date(T0 - 60 * MIN).toISOString(),
    },
    ...overrides,
  });
}

const NOW = T0 + 15 * MIN;

describe("decide: routes it must not touch", () => {
  it.each([
    ["paused", { state: "paused" as const }],
    ["rolled back", { state: "rolled_back" as const }],
    ["promoted", { state: "promoted" as const }],
    ["without canary", { canary: undefined }],
  ])("holds a route that is %s", (_, overrides) => {
    const r = route(overrides);
    const d = decide({ route: r, now: NOW, window: windowOf(healthy()) });
    expect(d.action).toBe("hold");
    expect(routeToWrite(d, r)).toBeNull();
    expect(d.proposedRoute).toBe(r);
  });

  it("holds and notifies on an invalid policy override", () => {
    const r = route({ policy: { alpha: 2, steps: [5, 1] } });
    const d = decide({ route: r, now: NOW, window: windowOf(healthy()) });
    expect(d.action).toBe("hold");
    expect(d.notify).toBe(true);
    expect(d.reasons.join("\n")).toMatch(/invalid policy: alpha: /);
    expect(d.reasons.join("\n")).toMatch(/invalid policy: steps: must be ascending/);
  });

  it("freezes after too many consecutive analyzer errors", () => {
    const d = decide({
      route: route(),
      now: NOW,
      window: windowOf(healthy()),
      consecutiveErrors: 3,
    });
    expect(d.action).toBe("freeze");
    expect(d.proposedRoute.state).toBe("paused");
    expect(d.proposedRoute.weight).toBe(1);
  });
});

describe("decide: starting and advancing", () => {
  it("starts a rollout at the first step, capped by the operator", () => {
    const r = route({ rollout: undefined, weight: 0 });
    const d = decide({ route: r, now: NOW, window: windowOf([]) });
    expect(d.action).toBe("advance");
    expect(d.proposedRoute.weight).toBe(1);
    expect(d.proposedRoute.rollout).toEqual({
      steps: [1, 5, 10, 25, 50, 100],
      stepIndex: 0,
      stepStartedAt: new Date(NOW).toISOString(),
      startedAt: new Date(NOW).toISOString(),
    });
    const capped = decide({ route: r, now: NOW, window: windowOf([]), manualWeightCap: 0 });
    expect(capped.proposedRoute.weight).toBe(0);
  });

  it("starts at the step an operator's weight is already at", () => {
    const d = decide({
      route: route({ rollout: undefined, weight: 10 }),
      now: NOW,
      window: windowOf([]),
    });
    expect(d.proposedRoute.rollout?.stepIndex).toBe(2);
    expect(d.proposedRoute.weight).toBe(10);
  });

  it("advances on no failure instead of proven non-inferiority with advanceOn no_fail", () => {
    // 1,100 canary requests: enough samples, too few to prove the 1 pp error limit.
    const window = windowOf(healthy(1100));
    const strict = decide({ route: route(), now: NOW, window });
    expect(strict.action).toBe("hold");
    const onAll = strict.verdicts.filter((v) => v.critical && v.slice.dim === "all");
    expect(onAll.some((v) => v.verdict === "inconclusive")).toBe(true);
    expect(onAll.some((v) => v.verdict === "fail")).toBe(false);
    const lenient = decide({ route: route(), now: NOW, window, policy: { advanceOn: "no_fail" } });
    expect(lenient.action).toBe("advance");
    // Its record says what was not shown and which setting let it through.
    expect(lenient.reasons[0]).toMatch(
      /^step 1\/6 at 1%: nothing failed in 1100 canary requests \(non-inferiority not shown for [a-z0-9_, ]+; policy\.advanceOn "no_fail"\): advancing to 5%$/,
    );
    // Still no advance on too few samples or on a failure.
    const few = decide({
      route: route(),
      now: NOW,
      window: windowOf(healthy(150)),
      policy: { advanceOn: "no_fail", minCanarySamples: 100 },
    });
    expect(few.action).toBe("hold");
    const failing = decide({
      route: route(),
      now: NOW,
      window: windowOf(healthy(1100).map((s) => ({ ...s, canaryErrorRate: 0.08 }))),
      policy: { advanceOn: "no_fail" },
    });
    expect(failing.action).toBe("rollback");
  });

  it("advances on no failure under advanceOn pass once the step's canary has noFailAfterSamples requests", () => {
    // Enough samples to advance, too few to prove the 1 pp error limit: the
    // 1,100 of the test above, and 5,000 at which the default gives up on a
    // pass, with the canary at 1.6% errors (+0.6 pp: not shown within +1 pp,
    // no fail either).
    const step = (canary: number, policy = {}, canaryErrorRate?: number) =>
      decide({
        route: route(),
        now: NOW,
        window: windowOf(
          healthy(canary).map((s) =>
            canaryErrorRate === undefined ? s : { ...s, canaryErrorRate },
          ),
        ),
        policy,
      });
    expect(DEFAULT_POLICY.noFailAfterSamples).toBe(5000);
    expect(step(1100).action).toBe("hold");
    const late = step(5000, {}, 0.016);
    const error = late.verdicts.find((v) => v.metric === "error_rate" && v.slice.dim === "all");
    expect(error?.verdict).toBe("inconclusive");
    expect(late.action).toBe("advance");
    expect(late.proposedRoute.weight).toBe(5);
    // The record says it advanced on the absence of harm, and what was not shown.
    expect(late.reasons[0]).toMatch(
      /^step 1\/6 at 1%: nothing failed in 5000 canary requests \(non-inferiority not shown for [a-z0-9_, ]+; policy\.noFailAfterSamples 5000\): advancing to 5%$/,
    );
    expect(late.reasons[0]).toContain("error_rate");
    // null waits for pass for good; a smaller setting advances sooner.
    expect(step(5000, { noFailAfterSamples: null }, 0.016).action).toBe("hold");
    expect(step(1100, { noFailAfterSamples: 1000 }).action).toBe("advance");
    // A failure still rolls back, however many samples the step has.
    expect(step(5000, {}, 0.08).action).toBe("rollback");
    // The step's least duration still holds.
    const early = decide({
      route: route(),
      now: T0 + 5 * MIN,
      window: windowOf(healthy(1100), T0 + 5 * MIN),
      policy: { noFailAfterSamples: 1000 },
    });
    expect(early.action).toBe("hold");
  });

  it("advances a healthy step to the next weight and restarts the step clock", () => {
    const d = decide({ route: route(), now: NOW, window: windowOf(healthy()) });
    expect(d.action).toBe("advance");
    expect(d.proposedRoute).not.toEqual(route());
    expect(d.proposedRoute.weight).toBe(5);
    expect(d.proposedRoute.rollout?.stepIndex).toBe(1);
    expect(d.proposedRoute.rollout?.stepStartedAt).toBe(new Date(NOW).toISOString());
    const critical = d.verdicts.filter((v) => v.critical && v.slice.dim === "all");
    expect(critical.filter((v) => v.canary.n > 0).map((v) => v.verdict)).toEqual(["pass", "pass"]);
    // Quality metrics the window has no data for are insufficient and hold nothing.
    expect(critical.filter((v) => v.canary.n === 0).map((v) => v.verdict)).toEqual([
      "insufficient",
      "insufficient",
      "insufficient",
    ]);
    expect(d.srm.checked).toBe(true);
    expect(d.srm.mismatch).toBe(false);
  });

  it("holds before the minimum step duration and below the minimum samples", () => {
    const early = decide({ route: route(), now: T0 + 5 * MIN, window: windowOf(healthy()) });
    expect(early.action).toBe("hold");
    expect(early.reasons[0]).toBe("step 1/6 at 1% held 5m of 10m");
    const thin = decide({ route: route(), now: NOW, window: windowOf(healthy(600)) });
    expect(thin.action).toBe("hold");
    expect(thin.reasons).toContain("600 of 1000 canary requests");
  });

  it("never raises the weight above the operator's cap", () => {
    const capped = decide({
      route: route(),
      now: NOW,
      window: windowOf(healthy()),
      manualWeightCap: 3,
    });
    expect(capped.action).toBe("advance");
    expect(capped.proposedRoute.weight).toBe(3);
    const atCap = decide({
      route: route(),
      now: NOW,
      window: windowOf(healthy()),
      manualWeightCap: 1,
    });
    expect(atCap.action).toBe("hold");
    expect(atCap.reasons[0]).toContain("operator weight cap 1%");
  });

  it("keeps operator segment rules at weight 0 when advancing", () => {
    const internal = { name: "internal-off", match: { cohorts: ["internal"] }, weight: 0 };
    const d = decide({
      route: route({ segments: [internal] }),
      now: NOW,
      window: windowOf(healthy()),
    });
    expect(d.action).toBe("advance");
    expect(d.proposedRoute.segments).toEqual([internal]);
  });

  it("promotes after the bake at 100%: the canary becomes stable", () => {
    const r = route({}, 5);
    const d = decide({
      route: r,
      now: NOW,
      window: windowOf([{ dim: "all", value: "all", stable: 0, canary: 50_000 }]),
    });
    expect(d.action).toBe("promote");
    expect(d.proposedRoute).toEqual({
      id: "chat",
      models: ["chat"],
      stable: { id: "canary-v2", originUrl: "https://canary.example", model: "m-2" },
      weight: 0,
      segments: [],
      state: "promoted",
    });
  });

  it("reports a rollout older than the maximum that cannot advance as stuck", () => {
    const r = route({
      rollout: {
        steps: [1, 5, 10, 25, 50, 100],
        stepIndex: 0,
        stepStartedAt: new Date(T0).toISOString(),
        startedAt: new Date(NOW - 25 * 60 * MIN).toISOString(),
      },
    });
    const d = decide({ route: r, now: NOW, window: windowOf(healthy(600)) });
    expect(d.action).toBe("stuck");
    expect(d.notify).toBe(true);
    expect(routeToWrite(d, r)).toBeNull();
    expect(d.reasons[0]).toMatch(/^rollout running 1500m \(since .*\), longer than/);
    expect(d.reasons.at(-1)).toMatch(/^to act: promote or roll back by hand/);
  });

  it("counts a rollout's age from when the history first recorded it, not a seeded date", () => {
    const seeded = route({
      rollout: {
        steps: [1, 5, 10, 25, 50, 100],
        stepIndex: 0,
        stepStartedAt: new Date(NOW - 400 * 24 * 60 * MIN).toISOString(),
        startedAt: new Date(NOW - 400 * 24 * 60 * MIN).toISOString(),
      },
    });
    const window = windowOf(healthy(600));
    const seenNow = decide({ route: seeded, now: NOW, window, rolloutSeenAt: NOW - 5 * MIN });
    expect(seenNow.action).not.toBe("stuck");
    // Recorded 25 hours ago: stuck, counted from then.
    const seenLong = decide({
      route: seeded,
      now: NOW,
      window,
      rolloutSeenAt: NOW - 25 * 60 * MIN,
    });
    expect(seenLong.action).toBe("stuck");
    expect(seenLong.reasons[0]).toMatch(/^rollout running 1500m/);
    // A later startedAt than the first record wins (a release restarted in place).
    const restarted = decide({
      route: {
        ...seeded,
        rollout: { ...seeded.rollout!, startedAt: new Date(NOW - MIN).toISOString() },
      },
      now: NOW,
      window,
      rolloutSeenAt: NOW - 25 * 60 * MIN,
    });
    expect(restarted.action).not.toBe("stuck");
  });
});

describe("decide: regressions", () => {
  it("rolls back when a critical metric fails on all", () => {
    const specs = healthy(6000);
    specs[0] = { ...specs[0]!, canaryErrorRate: 0.03 };
    const d = decide({ route: route(), now: NOW, window: windowOf(specs) });
    expect(d.action).toBe("rollback");
    expect(d.notify).toBe(true);
    expect(d.proposedRoute.weight).toBe(0);
    expect(d.proposedRoute.state).toBe("rolled_back");
    expect(d.proposedRoute.canary?.id).toBe("canary-v2");
    expect(d.reasons[0]).toMatch(/^error_rate on all: fail/);
  });

  it("excludes a country that fails alone and restarts the step", () => {
    const operatorRule = { name: "beta", match: { cohorts: ["beta"] }, weight: 100 };
    const d = decide({
      route: route({ segments: [operatorRule] }),
      now: NOW,
      window: windowOf(healthy(6000, { canaryErrorRate: 0.08 })),
    });
    expect(d.action).toBe("exclude_segment");
    expect(d.proposedRoute.segments).toEqual([
      { name: "exclude-country-BR", match: { countries: ["BR"] }, weight: 0 },
      operatorRule,
    ]);
    expect(d.proposedRoute.weight).toBe(1);
    expect(d.proposedRoute.rollout?.stepStartedAt).toBe(new Date(NOW).toISOString());
    expect(RouteSchema.safeParse(d.proposedRoute).success).toBe(true);
  });

  it("does not exclude the same slice twice", () => {
    const excluded = route({
      segments: [{ name: "exclude-country-BR", match: { countries: ["BR"] }, weight: 0 }],
    });
    const d = decide({
      route: excluded,
      now: NOW,
      window: windowOf(healthy(6000, { canaryErrorRate: 0.08 })),
    });
    expect(d.action).not.toBe("exclude_segment");
    expect(d.action).not.toBe("rollback");
  });

  it("rolls back instead when exclusion is disabled or the cap is reached", () => {
    const window = windowOf(healthy(6000, { canaryErrorRate: 0.08 }));
    const off = decide({ route: route(), now: NOW, window, policy: { segmentExclusion: false } });
    expect(off.action).toBe("rollback");
    expect(off.reasons.at(-1)).toBe("rollback: segment exclusion is disabled");
    const full = decide({ route: route(), now: NOW, window, policy: { maxExcludedSegments: 0 } });
    expect(full.action).toBe("rollback");
    const dims = decide({
      route: route(),
      now: NOW,
      window,
      policy: { exclusionDims: ["cohort"] },
    });
    expect(dims.action).toBe("rollback");
  });

  it("still rolls back on a clear critical failure under a sample-ratio mismatch", () => {
    const specs = healthy(6000);
    specs[1] = { ...specs[1]!, canary: 9000 };
    specs[0] = { ...specs[0]!, canaryErrorRate: 0.05 };
    const d = decide({ route: route(), now: NOW, window: windowOf(specs) });
    expect(d.action).toBe("rollback");
    expect(d.proposedRoute.state).toBe("rolled_back");
    expect(d.notify).toBe(true);
    expect(d.srm.mismatch).toBe(true);
    expect(d.reasons[0]).toMatch(/^error_rate on all: fail/);
    expect(d.reasons.at(-1)).toMatch(
      /^sample-ratio mismatch on segment=default: canary share 1\.49% vs 1% \(9000 canary \/ 594000 stable requests; 2970 more canary requests than the weight promises; p ≤ /,
    );
  });

  it("holds and alerts on a sample-ratio mismatch where it would otherwise advance", () => {
    const specs = healthy(6000);
    expect(decide({ route: route(), now: NOW, window: windowOf(specs) }).action).toBe("advance");
    specs[1] = { ...specs[1]!, canary: 9000 };
    const d = decide({ route: route(), now: NOW, window: windowOf(specs) });
    expect(d.action).toBe("hold");
    expect(d.proposedRoute).toEqual(route());
    expect(d.notify).toBe(true);
    expect(d.reasons).toHaveLength(1);
    expect(d.reasons[0]).toContain("metrics not trusted");
    // The verdicts are kept for the record: the operator sees what the metrics say.
    expect(d.verdicts.length).toBeGreaterThan(0);
  });

  it("names a canary deficit as possibly lost canary outcomes and rolls back on it", () => {
    const specs = healthy(6000);
    specs[1] = { ...specs[1]!, canary: 4000 };
    const d = decide({ route: route(), now: NOW, window: windowOf(specs) });
    expect(d.action).toBe("rollback");
    expect(d.notify).toBe(true);
    expect(d.reasons[0]).toContain(
      "(4000 canary / 594000 stable requests; 1980 fewer canary requests than the weight promises (canary outcomes may be lost);",
    );
    expect(d.reasons.at(-1)).toBe(
      "rollback: the canary arm is short of outcomes, counted as a failure (policy.srmDeficitRollback)",
    );
    const off = decide({
      route: route(),
      now: NOW,
      window: windowOf(specs),
      policy: { srmDeficitRollback: false },
    });
    expect(off.action).toBe("hold");
  });

  it("reports a step held by a mismatch for srmMaxHoldMs as stuck, with what to do", () => {
    const specs = healthy(6000);
    specs[1] = { ...specs[1]!, canary: 9000 };
    const window = windowOf(specs, T0 + 60 * MIN);
    const before = decide({ route: route(), now: T0 + 59 * MIN, window });
    expect(before.action).toBe("hold");
    const d = decide({ route: route(), now: T0 + 60 * MIN, window });
    expect(d.action).toBe("stuck");
    expect(d.notify).toBe(true);
    expect(d.proposedRoute).toEqual(route());
    expect(d.reasons[0]).toBe(
      `step held 60m by a sample-ratio mismatch (since ${new Date(T0).toISOString()}), longer than srmMaxHoldMs 60m`,
    );
    expect(d.reasons[1]).toMatch(/^sample-ratio mismatch on segment=default/);
    expect(d.reasons.at(-1)).toBe(SRM_ADVICE);
    const longer = decide({
      route: route(),
      now: T0 + 60 * MIN,
      window,
      policy: { srmMaxHoldMs: 120 * MIN },
    });
    expect(longer.action).toBe("hold");
  });

  it("in dry run reports the action but leaves the route alone", () => {
    const specs = healthy(6000);
    specs[0] = { ...specs[0]!, canaryErrorRate: 0.03 };
    const r = route();
    const d = decide({ route: r, now: NOW, window: windowOf(specs), policy: { dryRun: true } });
    expect(d.action).toBe("rollback");
    expect(routeToWrite(d, r)).toBeNull();
    expect(d.proposedRoute.state).toBe("rolled_back");
    expect(d.reasons.at(-1)).toBe("dry run: route not changed");
  });
});

describe("resolvePolicy", () => {
  it("overrides defaults field by field", () => {
    const r = resolvePolicy({ alpha: 0.1 }, { minCanarySamples: 50 });
    expect(r.ok && r.policy.alpha).toBe(0.1);
    expect(r.ok && r.policy.minCanarySamples).toBe(50);
    expect(r.ok && r.policy.steps).toEqual(DEFAULT_POLICY.steps);
  });

  it("rejects unknown fields with their name", () => {
    const r = resolvePolicy(undefined, { alhpa: 0.1 });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors[0]).toContain("alhpa");
  });
});
