/**
 * One rollup definition (`contracts/rollup.ts`), two paths: the cron judges
 * windows the queue consumer wrote into D1 (`step_rollups`, read back by
 * `readStep`), a backtest judges windows the offline replay builds in memory.
 * The same seeded events through both must give identical windows and
 * identical decisions, or a backtest would not predict what the cron does.
 */
import { env } from "cloudflare:test";
import { drizzle } from "drizzle-orm/d1";
import { beforeEach, describe, expect, it } from "vitest";
import { Replayer, type WindowData } from "../../analyzer";
import { decide } from "../../analyzer/policy/decide";
import { readStep } from "../../analyzer/store/step-reader";
import { RoutingConfigSchema } from "../../contracts/config";
import type { OutcomeEvent } from "../../contracts/outcome";
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
  });
  return [...w.slices]
    .sort((a, b) => `${a.dim}\u0000${a.value}`.localeCompare(`${b.dim}\u0000${b.value}`))
    .map((s) => ({ dim: s.dim, value: s.value, stable: arm(s.stable), canary: arm(s.canary) }));
}

/** Sums agree to 12 significant digits: SQL and the replay add in different orders. */
const round = (x: number) => Number(x.toPrecision(12));

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
    expect(r.cron.verdicts).toEqual(r.offline.verdicts);
    expect(r.cron.proposedRoute).toEqual(r.offline.proposedRoute);
  });

  it("is not vacuous: the two scenarios decide differently", async () => {
    const same = (await bothPaths(events(11))).cron;
    await resetStorage();
    const slow = (await bothPaths(events(12, 2))).cron;
    expect(same.action).not.toBe(slow.action);
    expect(slow.action).toBe("rollback");
  });
});
