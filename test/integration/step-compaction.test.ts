/**
 * The cron compacts the per-step aggregates of steps no longer judged
 * (analyzer/retention.ts `compactStepDetail`): unit-group columns to null,
 * counts, sums and sketches kept; the step a route is in is never touched,
 * however old.
 */
import { createExecutionContext, createScheduledController, env } from "cloudflare:test";
import { drizzle } from "drizzle-orm/d1";
import { beforeEach, describe, expect, it } from "vitest";
import { purgeStorage } from "../../analyzer/retention";
import type { RoutingConfigInput } from "../../contracts/config";
import type { OutcomeEvent } from "../../contracts/outcome";
import { storageSettings } from "../../contracts/storage";
import worker from "../../worker/index";
import { CRON, ingest, putConfig, resetStorage, T0 } from "../fixtures/analyzer";
import { HOUR, MIN, setClock } from "../fixtures/clock";
import { makeOutcome } from "../fixtures/outcome";

/** The cron's hourly run (the one that compacts) just after the fixtures' traffic. */
const NOW = T0 + 6 * HOUR;

/** Steps by their start; the routes' current steps are A_CURRENT and B_CURRENT. */
const STEPS = {
  aOldRollout: { routeId: "chat", rolloutId: "canary-v1", step: T0 - 100 * HOUR },
  aFinished: { routeId: "chat", rolloutId: "canary-v2", step: T0 - 60 * HOUR },
  aCurrent: { routeId: "chat", rolloutId: "canary-v2", step: T0 - 30 * HOUR },
  bRecent: { routeId: "summaries", rolloutId: "summaries-v2", step: T0 + HOUR },
  bCurrent: { routeId: "summaries", rolloutId: "summaries-v2", step: T0 + 5 * HOUR },
} as const;
type StepName = keyof typeof STEPS;

function route(id: string, canary: string, stepStartedAt: number) {
  const started = new Date(stepStartedAt).toISOString();
  return {
    id,
    models: [`${id}-model`],
    stable: { id: `${id}-stable`, originUrl: "http://127.0.0.1:9/stable", model: "a" },
    canary: { id: canary, originUrl: "http://127.0.0.1:9/canary", model: "b" },
    weight: 10,
    rollout: { steps: [5, 10, 100], stepIndex: 1, stepStartedAt: started, startedAt: started },
    // Dry run: the analyzer judges but never moves a route to another step.
    policy: { dryRun: true },
  };
}

const CONFIG: RoutingConfigInput = {
  version: 1,
  routes: [
    route("chat", STEPS.aCurrent.rolloutId, STEPS.aCurrent.step),
    route("summaries", STEPS.bCurrent.rolloutId, STEPS.bCurrent.step),
  ],
};

/** Events routed in a step; recent enough for the ingest window whatever the step's age. */
function stepEvents(name: StepName, count: number): OutcomeEvent[] {
  const { routeId, rolloutId, step } = STEPS[name];
  return Array.from({ length: count }, (_, i) => {
    const canary = i % 4 === 0;
    return makeOutcome({
      requestId: `${name}-${i}`,
      ts: T0 + 2 * HOUR + i * 1000,
      routeId,
      rolloutId,
      step,
      variant: canary ? "canary" : "stable",
      releaseId: canary ? rolloutId : `${routeId}-stable`,
      country: i % 3 === 0 ? "DE" : "US",
      latencyMs: 80 + (i % 40),
    });
  });
}

/** One cron run at `at` with `over` on top of the Worker's vars. */
async function cron(at: number, over: Partial<Env> = {}): Promise<void> {
  setClock(at);
  await worker.scheduled(
    createScheduledController({ scheduledTime: at, cron: CRON }),
    { ...env, ...over },
    createExecutionContext(),
  );
}

interface Row {
  dim: string;
  dim_value: string;
  variant: string;
  metric: string;
  n: number;
  sum: number;
  sum_sq: number;
  bins: string | null;
  groups: string | null;
  group_bins: string | null;
}

async function rowsOf(name: StepName): Promise<Row[]> {
  const { routeId, rolloutId, step } = STEPS[name];
  const { results } = await env.DB.prepare(
    `select dim, dim_value, variant, metric, n, sum, sum_sq, bins, groups, group_bins
     from step_rollups where route_id = ? and rollout_id = ? and step = ?
     order by variant, dim, dim_value, metric`,
  )
    .bind(routeId, rolloutId, step)
    .all<Row>();
  return results;
}

const detail = (rows: readonly Row[]) =>
  rows.filter((r) => r.groups !== null || r.group_bins !== null).length;
const kept = (rows: readonly Row[]) => rows.map(({ groups: _g, group_bins: _b, ...rest }) => rest);

async function seed(): Promise<Record<StepName, Row[]>> {
  await putConfig(CONFIG);
  await ingest((Object.keys(STEPS) as StepName[]).flatMap((name) => stepEvents(name, 120)));
  const before = {} as Record<StepName, Row[]>;
  for (const name of Object.keys(STEPS) as StepName[]) {
    before[name] = await rowsOf(name);
    // Not vacuous: every step starts out with its unit-group detail.
    expect(detail(before[name])).toBeGreaterThan(0);
  }
  return before;
}

describe("step compaction", () => {
  beforeEach(resetStorage);

  it("compacts finished steps older than STEP_DETAIL_HOURS and never a route's current step", async () => {
    const before = await seed();
    await cron(NOW);

    for (const name of ["aOldRollout", "aFinished"] as const) {
      const after = await rowsOf(name);
      expect(detail(after)).toBe(0);
      // Counts, sums and sketches are kept, row for row.
      expect(kept(after)).toEqual(kept(before[name]));
      expect(after.some((r) => r.bins !== null)).toBe(true);
    }
    // The current steps (one 36 hours old) and a finished step within the 24 hours keep everything.
    for (const name of ["aCurrent", "bRecent", "bCurrent"] as const)
      expect(await rowsOf(name)).toEqual(before[name]);

    // A late event of a compacted step still counts; its row stays compacted.
    await ingest([{ ...stepEvents("aFinished", 1)[0]!, requestId: "late-a-finished" }]);
    const late = await rowsOf("aFinished");
    const requests = (rows: readonly Row[]) =>
      rows.find((r) => r.dim === "all" && r.variant === "canary" && r.metric === "requests")!;
    expect(requests(late).n).toBe(requests(before.aFinished).n + 1);
    expect(detail(late)).toBe(0);

    // STEP_DETAIL_HOURS = 0 compacts every finished step at once, still no current one.
    await cron(NOW + HOUR, { STEP_DETAIL_HOURS: "0" });
    expect(detail(await rowsOf("bRecent"))).toBe(0);
    for (const name of ["aCurrent", "bCurrent"] as const)
      expect(await rowsOf(name)).toEqual(before[name]);
  });

  it("runs only in the hourly purge, and compacts nothing while no config says which steps are current", async () => {
    const before = await seed();
    await cron(NOW + 7 * MIN);
    expect(await rowsOf("aFinished")).toEqual(before.aFinished);

    await resetStorage();
    const rows = (Object.keys(STEPS) as StepName[]).flatMap((name) => stepEvents(name, 20));
    await ingest(rows);
    const storage = storageSettings(env).settings;
    const purged = await purgeStorage(drizzle(env.DB), storage, NOW, true, env.CONFIG);
    expect(purged.compactedRows).toBeNull();
    expect(detail(await rowsOf("aFinished"))).toBeGreaterThan(0);
  });
});
