/**
 * `MINUTE_ROLLUP_DIMS`: the per-minute tables keep only the dimensions it
 * names, the per-step aggregates keep every one, so the analyzer judges the
 * same numbers; the admin window view names what it cannot show.
 */
import { createExecutionContext, env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { OutcomeEvent } from "../../contracts/outcome";
import { drizzle } from "drizzle-orm/d1";
import { rollupMinute } from "../../contracts/minute";
import { storeFeedback } from "../../worker/feedback/store";
import worker from "../../worker/index";
import { EDGE } from "../fixtures/admin";
import {
  ingest,
  decisionRows,
  MIN,
  putConfig,
  resetStorage,
  rolloutConfig,
  rolloutTraffic,
  runCron,
  T0,
} from "../fixtures/analyzer";

const COUNTRIES = ["DE", "US", "FR", null] as const;
const COHORTS = [null, null, "beta"] as const;

/** The analyzer fixtures' traffic for route `chat`, spread over countries, cohorts and classes. */
function traffic(): OutcomeEvent[] {
  return rolloutTraffic(1, 11, 400, { idPrefix: "md" }).map((e, i) => ({
    ...e,
    country: COUNTRIES[i % COUNTRIES.length]!,
    cohort: COHORTS[i % COHORTS.length]!,
    requestClass: i % 5 === 0 ? "batch" : null,
  }));
}

async function column(query: string): Promise<string[]> {
  const { results } = await env.DB.prepare(query).all<{ v: string }>();
  return results.map((r) => r.v);
}

const stepRows = () =>
  env.DB.prepare(
    `select variant, release_id, dim, dim_value, metric, n, sum, sum_sq, bins, groups, group_bins
     from step_rollups order by variant, release_id, dim, dim_value, metric`,
  )
    .all()
    .then((r) => r.results);

/** What the analyzer decided in one cron run after ingesting `events` with `over`. */
async function judged(events: readonly OutcomeEvent[], over: Partial<Env>) {
  await resetStorage();
  await putConfig(rolloutConfig());
  await ingest(events, over);
  await runCron(T0 + 12 * MIN);
  const [d] = await decisionRows();
  const record = JSON.parse(d!.record) as Record<string, unknown>;
  return {
    action: d!.action,
    summary: d!.summary,
    verdicts: record.verdicts,
    reasons: record.reasons,
    steps: await stepRows(),
    minuteDims: await column("select distinct dim as v from rollup_metrics order by dim"),
    binDims: await column("select distinct dim as v from rollup_bins order by dim"),
    stepDims: await column("select distinct dim as v from step_rollups order by dim"),
  };
}

interface MetricsBody {
  routes: Array<{ unavailableDims: string[]; slices: Array<{ dim: string; value: string }> }>;
  error: { code: string; message: string };
}

async function windowView(query: string, over: Partial<Env>) {
  const res = await worker.fetch(
    new Request(`${EDGE}/admin/metrics?${query}`, {
      headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` },
    }),
    { ...env, ...over },
    createExecutionContext(),
  );
  return { status: res.status, body: (await res.json()) as MetricsBody };
}

describe("per-minute rollup dimensions", () => {
  beforeEach(resetStorage);

  it("with only `all` per minute, the minute tables hold `all` rows alone, the step rollups every dimension, and the verdicts are the same", async () => {
    const events = traffic();
    const full = await judged(events, {});
    const lean = await judged(events, { MINUTE_ROLLUP_DIMS: "all" });

    expect(full.minuteDims).toEqual(["all", "class", "cohort", "country", "segment"]);
    expect(lean.minuteDims).toEqual(["all"]);
    expect(lean.binDims).toEqual(["all"]);
    expect(lean.stepDims).toEqual(["all", "class", "cohort", "country", "segment"]);
    // Not vacuous: the step rollups hold every slice of the mix.
    expect(lean.steps.filter((r) => r.dim === "country").length).toBeGreaterThan(0);
    expect(lean.steps).toEqual(full.steps);

    expect(lean.action).toBe(full.action);
    expect(lean.summary).toBe(full.summary);
    expect(lean.reasons).toEqual(full.reasons);
    expect(lean.verdicts).toEqual(full.verdicts);
    // Not vacuous: per-slice verdicts, judged from the step rollups, are among them.
    const dims = (full.verdicts as Array<{ slice: { dim: string } }>).map((v) => v.slice.dim);
    expect(new Set(dims)).toEqual(new Set(["all", "segment", "country", "cohort", "class"]));
  });

  it("the admin window view names the dimensions it has no rows for and refuses to show one of them", async () => {
    const lean = { MINUTE_ROLLUP_DIMS: "all" };
    await putConfig(rolloutConfig());
    await ingest(traffic(), lean);
    const window = `route=chat&from=${T0}&to=${T0 + 12 * MIN}`;

    const view = await windowView(window, lean);
    expect(view.status).toBe(200);
    const [route] = view.body.routes;
    expect(route!.unavailableDims).toEqual(["segment", "country", "cohort", "class"]);
    expect(route!.slices.map((s) => s.dim)).toEqual(["all"]);

    const country = await windowView(`${window}&dim=country`, lean);
    expect(country.status).toBe(422);
    const { error } = country.body;
    expect(error.code).toBe("dim_not_kept");
    expect(error.message).toMatch(/MINUTE_ROLLUP_DIMS keeps all\b.*current rollout step/);

    // The current step keeps every dimension: no from/to, every slice.
    const step = await windowView("route=chat&dim=country", lean);
    expect(step.status).toBe(200);
    const [current] = step.body.routes;
    expect(current!.unavailableDims).toEqual([]);
    expect(current!.slices.map((s) => s.value).sort()).toEqual(["DE", "FR", "US", "unknown"]);
  });

  it("quality observations follow the same setting: per minute under `all`, per step under every dimension", async () => {
    const stored = await storeFeedback(
      drizzle(env.DB),
      {
        requestId: "md-feedback",
        minute: rollupMinute(T0 + MIN),
        step: T0,
        routeId: "chat",
        rolloutId: "canary-v2",
        releaseId: "canary-v2",
        variant: "canary",
        segment: null,
        unit: null,
        country: "DE",
        cohort: null,
        requestClass: null,
        score: 1,
      },
      T0 + MIN,
      ["all"],
    );
    expect(stored).toBe(true);
    expect(await column("select distinct dim as v from rollup_metrics order by dim")).toEqual([
      "all",
    ]);
    expect(await column("select distinct dim as v from step_rollups order by dim")).toEqual([
      "all",
      "class",
      "cohort",
      "country",
      "segment",
    ]);
  });
});
