/**
 * The storage vars (contracts/storage.ts) that choose what D1 keeps: which
 * dimensions get per-minute rollup rows, and which steps keep their
 * unit-group detail (the compaction plan).
 */
import { describe, expect, it } from "vitest";
import { HOUR_MS, stepDetailPlan, storageSettings } from "../../contracts/storage";
import { T0 } from "../fixtures/clock";
import { rolloutRoute } from "../fixtures/config";

const EVERY = ["all", "segment", "country", "cohort", "class"];

describe("MINUTE_ROLLUP_DIMS", () => {
  it("keeps every dimension when unset or empty", () => {
    expect(storageSettings({}).settings.minuteRollupDims).toEqual(EVERY);
    expect(storageSettings({ MINUTE_ROLLUP_DIMS: " " })).toMatchObject({
      ok: true,
      settings: { minuteRollupDims: EVERY },
    });
  });

  it("reads a comma-separated list in the dimensions' order, with `all` always kept", () => {
    const dims = (raw: string) => storageSettings({ MINUTE_ROLLUP_DIMS: raw });
    expect(dims("all")).toMatchObject({ ok: true, settings: { minuteRollupDims: ["all"] } });
    expect(dims("class, country")).toMatchObject({
      ok: true,
      settings: { minuteRollupDims: ["all", "country", "class"] },
    });
    expect(dims("country,country,all,").settings.minuteRollupDims).toEqual(["all", "country"]);
    expect(dims("all,segment,country,cohort,class").settings.minuteRollupDims).toEqual(EVERY);
  });

  it("names an unknown dimension and falls back to every dimension, the other vars unharmed", () => {
    const bad = storageSettings({ MINUTE_ROLLUP_DIMS: "all,countries", OUTCOME_ROWS_HOURS: "0" });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toBe(
      'MINUTE_ROLLUP_DIMS must be a comma-separated list of all, segment, country, cohort, class ("countries" is not a dimension); using the defaults for them',
    );
    expect(bad.settings.minuteRollupDims).toEqual(EVERY);
    expect(bad.settings.rawRowsHours).toBe(0);
    // Names are case-sensitive, as the rollup rows spell them.
    expect(storageSettings({ MINUTE_ROLLUP_DIMS: "All" }).ok).toBe(false);
  });
});

describe("STEP_DETAIL_HOURS", () => {
  it("defaults to 24 hours, takes 0 and fractions, and names a bad value", () => {
    const hours = (raw?: string) => storageSettings({ STEP_DETAIL_HOURS: raw });
    expect(hours().settings.stepDetailHours).toBe(24);
    expect(hours("0")).toMatchObject({ ok: true, settings: { stepDetailHours: 0 } });
    expect(hours("1.5").settings.stepDetailHours).toBe(1.5);
    for (const bad of ["-1", "forever", "87841"]) {
      const r = hours(bad);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.error).toMatch(/^STEP_DETAIL_HOURS must be 0\.\.87840 hours/);
      expect(r.settings.stepDetailHours).toBe(24);
    }
  });
});

describe("stepDetailPlan", () => {
  const at = (h: number) => new Date(T0 + h * HOUR_MS).toISOString();
  const inStep = (id: string, canary: string, startedHour: number) =>
    rolloutRoute({
      id,
      canary: { id: canary, originUrl: "https://canary.invalid", model: "m2" },
      rollout: {
        steps: [10, 50, 100],
        stepIndex: 1,
        stepStartedAt: at(startedHour),
        startedAt: at(-100),
      },
    });

  it("allows steps started before now − hours and keeps each route's current step, however old", () => {
    const now = T0 + 48 * HOUR_MS;
    const plan = stepDetailPlan([[inStep("chat", "canary-v2", -30)]], now, 24);
    expect(plan.before).toBe(T0 + 24 * HOUR_MS);
    expect(plan.keep).toEqual([
      { routeId: "chat", rolloutId: "canary-v2", step: T0 - 30 * HOUR_MS },
    ]);
    // 0 hours: every step that started before now, still not the current one.
    expect(stepDetailPlan([[inStep("chat", "canary-v2", -30)]], now, 0).before).toBe(now);
  });

  it("keeps the current step of every config it is given, once, and none of a route without a canary or rollout", () => {
    const head = [inStep("chat", "canary-v2", 5), inStep("summaries", "s-v3", 1)];
    // The edge's document moved chat on to its next step already.
    const edge = [inStep("chat", "canary-v2", 6), inStep("summaries", "s-v3", 1)];
    const plain = rolloutRoute({ id: "plain", rollout: undefined });
    const noCanary = rolloutRoute({ id: "bare", canary: undefined });
    const plan = stepDetailPlan([head, edge, [plain, noCanary]], T0 + 10 * HOUR_MS, 24);
    expect(plan.keep).toEqual([
      { routeId: "chat", rolloutId: "canary-v2", step: T0 + 5 * HOUR_MS },
      { routeId: "summaries", rolloutId: "s-v3", step: T0 + HOUR_MS },
      { routeId: "chat", rolloutId: "canary-v2", step: T0 + 6 * HOUR_MS },
    ]);
    expect(stepDetailPlan([], T0, 24).keep).toEqual([]);
  });
});
