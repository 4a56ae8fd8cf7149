/**
 * One rollup definition (`contracts/rollup.ts`), two paths: the cron judges
 * windows the queue consumer wrote into D1 (`step_rollups`, read back by
 * `readStep`), a backtest judges windows the offline replay builds in memory.
 * The same seeded events through both must give identical windows and
 * identical decisions, or a backtest would not predict what the cron does.
 * With quality, the offline side is what `llm-canary export` writes: the
 * export's own SQL run against the same D1, its rows converted to outcome
 * events and quality records, and replayed as `backtest` replays them.
 */
import { env } from "cloudflare:test";
import { drizzle } from "drizzle-orm/d1";
import { beforeEach, describe, expect, it } from "vitest";
import { Replayer, type WindowData } from "../../analyzer";
import { decide } from "../../analyzer/policy/decide";
import { readStep } from "../../analyzer/store/step-reader";
import { judgedQuantileSources } from "../../analyzer/policy/policy";
import { qualityEvent } from "../../analyzer";
import { unitGroup } from "../../contracts/assignment";
import { RoutingConfigSchema } from "../../contracts/config";
import { rollupMinute } from "../../contracts/minute";
import type { OutcomeEvent } from "../../contracts/outcome";
import { QUALITY_METRICS } from "../../contracts/quality";
import { groupBinEntries } from "../../contracts/rollup";
import { mulberry32 } from "../../contracts/random.mjs";
import {
  outcomePageSql,
  QUALITY_SOURCE_NAMES,
  qualityPageSql,
  rowToEvent,
  rowToQuality,
} from "../../cli/export-rows";
import type { EvaluationRow } from "../../worker/eval/rows";
import { writeEvaluations } from "../../worker/eval/store";
import { storeFeedback } from "../../worker/feedback/store";
import { HOUR, MIN, T0 } from "../fixtures/clock";
import { ingest, resetStorage, rolloutConfig } from "../fixtures/analyzer";
import { makeOutcomeMix } from "../fixtures/outcome-mix";

const route = RoutingConfigSchema.parse(rolloutConfig()).routes[0]!;
const NOW = T0 + 2 * HOUR + 6 * MIN;

/** A window with its slices, metrics and bins in one order, for comparison. */
function canonical(w: WindowData) {
  const arm = (a: WindowData["slices"][number]["stable"]) => ({
    metrics: Object.fromEntries(
      Object.entries(a.metrics)
        .sort(([x], [y]) => x.localeCompare(y))
        .map(([name, s]) => [name, { n: s.n, sum: round(s.sum), sumSq: round(s.sumSq) }]),
    ),
    sketches: Object.fromEntries(
      Object.entries(a.sketches)
        .sort(([x], [y]) => x.localeCompare(y))
        .map(([name, bins]) => [name, [...bins].sort((x, y) => x[0] - y[0])]),
    ),
    groups: Object.fromEntries(
      Object.entries(a.groups ?? {})
        .sort(([x], [y]) => x.localeCompare(y))
        .map(([name, g]) => [
          name,
          [...g].sort((x, y) => x[0] - y[0]).map(([k, n, sum]) => [k, n, round(sum)]),
        ]),
    ),
    groupBins: Object.fromEntries(
      Object.entries(a.groupBins ?? {})
        .sort(([x], [y]) => x.localeCompare(y))
        .map(([name, bins]) => [name, groupBinEntries(bins).sort((x, y) => x[0] - y[0])]),
    ),
  });
  return [...w.slices]
    .sort((a, b) => `${a.dim}\u0000${a.value}`.localeCompare(`${b.dim}\u0000${b.value}`))
    .map((s) => ({ dim: s.dim, value: s.value, stable: arm(s.stable), canary: arm(s.canary) }));
}

/** Sums agree to 12 significant digits: SQL and the replay add in different orders. */
const round = (x: number) => Number(x.toPrecision(12));

/** Every finite number of a value rounded by `round` (verdicts carry design effects of such sums). */
function rounded(value: unknown): unknown {
  if (typeof value === "number") return Number.isFinite(value) ? round(value) : value;
  if (Array.isArray(value)) return value.map(rounded);
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rounded(v)]));
  return value;
}

/** Both paths over the same events: the cron's window and decision, and the replay's. */
async function bothPaths(events: readonly OutcomeEvent[]) {
  await ingest(events);
  const stored = await readStep(drizzle(env.DB), route, NOW);
  const cron = decide({ route, now: NOW, window: stored });

  const replayer = new Replayer(route);
  for (const e of events) replayer.ingest(e);
  const offline = replayer.tick(NOW);
  const replayed = replayer.rollup.window(T0, NOW);
  return { stored, replayed, cron, offline };
}

/** Seeded events of the rollout's step; `slower` multiplies the canary's latencies. */
function events(seed: number, slower = 1): OutcomeEvent[] {
  return makeOutcomeMix({ count: 1_500, seed, routeId: route.id }).map((e) =>
    e.variant === "canary" && slower !== 1
      ? {
          ...e,
          latencyMs: e.latencyMs * slower,
          metrics: { ...e.metrics, latency_ms: e.latencyMs * slower },
        }
      : e,
  );
}

describe("ingest and replay rollups", () => {
  beforeEach(resetStorage);

  it.each([
    ["an A/A mix", 11, 1],
    ["a canary twice as slow", 12, 2],
  ])("give identical windows and decisions for %s", async (_name, seed, slower) => {
    const r = await bothPaths(events(seed, slower));
    expect(r.stored.slices.length).toBeGreaterThan(5);
    expect(canonical(r.stored)).toEqual(canonical(r.replayed));
    expect(r.cron.action).toBe(r.offline.action);
    expect(r.cron.reasons).toEqual(r.offline.reasons);
    expect(rounded(r.cron.verdicts)).toEqual(rounded(r.offline.verdicts));
    expect(r.cron.proposedRoute).toEqual(r.offline.proposedRoute);
  });

  it("reads only the judged quantiles' group bins, as the cron does, and decides the same", async () => {
    await ingest(events(12, 2));
    const full = await readStep(drizzle(env.DB), route, NOW);
    const groupBinsOf = judgedQuantileSources(undefined, route.policy)!;
    expect([...groupBinsOf].sort()).toEqual(["latency_ms", "ttft_ms"]);
    const lean = await readStep(drizzle(env.DB), route, NOW, {
      groupBinsOf: new Set(["latency_ms"]),
    });
    const all = lean.slices.find((s) => s.dim === "all")!;
    expect(Object.keys(all.canary.groupBins ?? {})).toEqual(["latency_ms"]);
    const fullAll = full.slices.find((s) => s.dim === "all")!;
    expect(Object.keys(fullAll.canary.groupBins ?? {}).sort()).toEqual(["latency_ms", "ttft_ms"]);
    const judged = await readStep(drizzle(env.DB), route, NOW, { groupBinsOf });
    const a = decide({ route, now: NOW, window: full });
    const b = decide({ route, now: NOW, window: judged });
    expect(b.action).toBe(a.action);
    expect(b.reasons).toEqual(a.reasons);
    expect(rounded(b.verdicts)).toEqual(rounded(a.verdicts));
  });

  it("is not vacuous: the two scenarios decide differently", async () => {
    const same = (await bothPaths(events(11))).cron;
    await resetStorage();
    const slow = (await bothPaths(events(12, 2))).cron;
    expect(same.action).not.toBe(slow.action);
    expect(slow.action).toBe("rollback");
  });
});

/** The rollup key columns a quality row of `e` stores (worker/eval/rows.ts). */
function qualityKey(e: OutcomeEvent) {
  return {
    minute: rollupMinute(e.ts),
    step: e.step,
    routeId: e.routeId,
    rolloutId: e.rolloutId ?? "",
    releaseId: e.releaseId,
    variant: e.variant,
    segment: e.segment,
    country: e.country,
    cohort: e.cohort,
    requestClass: e.requestClass,
    // As the row builders stamp it (worker/eval/rows.ts, worker/feedback/route.ts).
    unit: e.unit ?? unitGroup(e.requestId),
  };
}

/**
 * Moderation scores for every request (toxic at `canaryToxic` on the canary,
 * 1% on stable) and feedback on every fifth, through the real writers.
 */
async function storeQuality(events: readonly OutcomeEvent[], canaryToxic: number) {
  const rand = mulberry32(99);
  const db = drizzle(env.DB);
  const rows: EvaluationRow[] = events.map((e) => ({
    requestId: e.requestId,
    evaluator: "moderation",
    metric: QUALITY_METRICS.toxicity,
    value: rand() < (e.variant === "canary" ? canaryToxic : 0.01) ? 1 : 0,
    ...qualityKey(e),
  }));
  for (let i = 0; i < rows.length; i += 200)
    await writeEvaluations(db, [], rows.slice(i, i + 200), { id: `eval-${i}`, at: NOW });
  for (const e of events.filter((_, i) => i % 5 === 0))
    await storeFeedback(
      db,
      { requestId: e.requestId, score: rand() < 0.7 ? 1 : -1, ...qualityKey(e) },
      NOW,
    );
}

/** What `llm-canary export` reads from D1 for the route: its own SQL, all pages. */
async function exported() {
  const filter = { routeId: route.id };
  const all = async (sql: string) =>
    (await env.DB.prepare(sql).all<Record<string, unknown>>()).results;
  const events: OutcomeEvent[] = [];
  let cursor: { ts: number; id: string } | null = null;
  for (;;) {
    const rows = await all(outcomePageSql(filter, cursor));
    events.push(...rows.map(rowToEvent));
    if (rows.length < 2000) break;
    cursor = { ts: Number(rows.at(-1)!.ts), id: String(rows.at(-1)!.request_id) };
  }
  const quality = [];
  for (const source of QUALITY_SOURCE_NAMES) {
    let after = 0;
    for (;;) {
      const rows = await all(qualityPageSql(filter, source, after));
      quality.push(...rows.map((r) => rowToQuality(r, source)));
      if (rows.length < 2000) break;
      after = Number(rows.at(-1)!.row_id);
    }
  }
  return { events, quality };
}

describe("ingest and export → replay with quality scores", () => {
  beforeEach(resetStorage);

  async function bothPathsWithQuality(canaryToxic: number) {
    const sent = events(21);
    await ingest(sent);
    await storeQuality(sent, canaryToxic);
    const stored = await readStep(drizzle(env.DB), route, NOW);
    const cron = decide({ route, now: NOW, window: stored });

    const exp = await exported();
    const replayer = new Replayer(route);
    for (const e of exp.events) replayer.ingest(e);
    for (const q of exp.quality) replayer.ingest(qualityEvent(q));
    const offline = replayer.tick(NOW);
    return { sent, exp, stored, replayed: replayer.rollup.window(T0, NOW), cron, offline };
  }

  it("exports every request and every score, and judges them as the cron does", async () => {
    const r = await bothPathsWithQuality(0.08);
    expect(r.exp.events.length).toBe(r.sent.length);
    expect(r.exp.quality.filter((q) => q.source === "evaluation").length).toBe(r.sent.length);
    expect(r.exp.quality.filter((q) => q.source === "feedback").length).toBe(r.sent.length / 5);
    const all = r.stored.slices.find((s) => s.dim === "all")!;
    expect(all.canary.metrics[QUALITY_METRICS.toxicity]?.n).toBeGreaterThan(0);
    expect(all.stable.metrics[QUALITY_METRICS.feedbackPositive]?.n).toBeGreaterThan(0);
    // Scores and feedback count in their requests' unit groups, on both paths.
    const toxicGroups = all.canary.groups?.[QUALITY_METRICS.toxicity] ?? [];
    expect(toxicGroups.length).toBeGreaterThan(8);
    expect(toxicGroups.reduce((a, g) => a + g[1], 0)).toBe(
      all.canary.metrics[QUALITY_METRICS.toxicity]?.n,
    );
    expect(all.stable.groups?.[QUALITY_METRICS.feedbackPositive]?.length).toBeGreaterThan(8);
    expect(canonical(r.stored)).toEqual(canonical(r.replayed));
    expect(rounded(r.cron.verdicts)).toEqual(rounded(r.offline.verdicts));
    expect(r.cron.action).toBe(r.offline.action);
    expect(r.cron.reasons).toEqual(r.offline.reasons);
    // The quality gate decides it: a toxic canary is rolled back on both paths.
    expect(r.cron.action).toBe("rollback");
    expect(r.cron.reasons.join(" ")).toContain("toxicity");
  });

  it("is not vacuous: without the toxic canary neither path rolls back", async () => {
    const r = await bothPathsWithQuality(0.01);
    expect(r.cron.action).toBe(r.offline.action);
    expect(r.cron.action).not.toBe("rollback");
  });
});
