/// <reference types="node" />
/**
 * Seeded end-to-end simulations of the analyzer at the default policy: the
 * simulator sends traffic against the route as the analyzer changes it, and
 * each scenario checks a required error rate across seeds.
 *
 * Default: 20 seeds per scenario (about half a minute). The large run behind
 * the numbers in docs/statistics.md:
 *
 *   SIM_SEEDS=1000 SIM_REPORT=1 npx vitest run --project unit test/unit/analyzer-sim.unit.test.ts
 *
 * SIM_REPORT=1 writes bench/results/simulation-<date>.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { baseMetrics } from "../../contracts/metrics";
import { scenario, type Scenario } from "../../analyzer/sim/scenario";
import { simulate, type SimResult } from "../../analyzer/sim/simulate";

const SEEDS = Number(process.env.SIM_SEEDS ?? 20);
const TIMEOUT = Math.max(120_000, SEEDS * 5_000);
const traffic = { requestsPerMinute: 2000 };
const report: Record<string, unknown> = {};

interface Tally {
  seeds: number;
  rate: number;
  /** Canary requests at the first rollback: median and max over seeds that rolled back. */
  rollbackAt?: { median: number; max: number };
  promoted: number;
  excluded: number;
}

function run(sc: Scenario, hit: (r: SimResult) => boolean): Tally {
  let hits = 0;
  let promoted = 0;
  let excluded = 0;
  const at: number[] = [];
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = simulate(sc, seed);
    if (hit(r)) hits += 1;
    if (r.finalRoute.state === "promoted") promoted += 1;
    if (r.events.some((e) => e.action === "exclude_segment")) excluded += 1;
    const rb = r.first("rollback");
    if (rb) at.push(rb.canaryRequests);
  }
  at.sort((a, b) => a - b);
  const tally: Tally = { seeds: SEEDS, rate: hits / SEEDS, promoted, excluded };
  if (at.length > 0) {
    tally.rollbackAt = { median: at[Math.floor(at.length / 2)] ?? 0, max: at[at.length - 1] ?? 0 };
  }
  report[sc.name] = tally;
  if (process.env.SIM_REPORT === "1") console.info(sc.name, JSON.stringify(tally));
  return tally;
}

const rolledBack = (r: SimResult) => r.first("rollback") !== undefined;
const rolledBackWithin = (n: number) => (r: SimResult) =>
  (r.first("rollback")?.canaryRequests ?? Number.POSITIVE_INFINITY) <= n;

describe("simulator", () => {
  it("emits what baseMetrics yields for non-streamed requests", () => {
    const facts = {
      failover: false,
      stream: false,
      streamCompleted: null,
      ttftMs: null,
      tokensPerSec: null,
    };
    expect(baseMetrics({ ...facts, errorClass: null, latencyMs: 812 })).toEqual({
      requests: 1,
      error: 0,
      failover: 0,
      rate_429: 0,
      latency_ms: 812,
    });
    expect(baseMetrics({ ...facts, errorClass: "http_5xx", latencyMs: 812 })).toEqual({
      requests: 1,
      error: 1,
      failover: 0,
      rate_429: 0,
    });
  });

  it("is deterministic per seed", () => {
    const sc = scenario("short", { errorRate: 0.05 }, { ...traffic, minutes: 30 });
    const a = simulate(sc, 9);
    const b = simulate(sc, 9);
    expect(a.events).toEqual(b.events);
    expect(a.canaryRequests).toBe(b.canaryRequests);
  });
});

describe(`rollouts at the default policy (${SEEDS} seeds each)`, () => {
  afterAll(() => {
    if (process.env.SIM_REPORT !== "1") return;
    const date = new Date().toISOString().slice(0, 10);
    mkdirSync("bench/results", { recursive: true });
    const file = `bench/results/simulation-${date}.json`;
    // Runs filtered with -t add their scenarios to the day's report.
    const previous = existsSync(file)
      ? (JSON.parse(readFileSync(file, "utf8")) as { scenarios?: Record<string, unknown> })
      : {};
    const scenarios = { ...(previous.scenarios ?? {}), ...report };
    writeFileSync(file, `${JSON.stringify({ traffic, scenarios }, null, 2)}\n`);
  });

  it(
    "A/A: a full rollout ends in a false rollback in at most 5% of seeds",
    () => {
      const t = run(scenario("a/a", {}, traffic), rolledBack);
      expect(t.rate).toBeLessThanOrEqual(0.05);
      expect(t.promoted / SEEDS).toBeGreaterThanOrEqual(0.9);
    },
    TIMEOUT,
  );

  it(
    "p95 latency 30% higher: rolled back within 1,000 canary requests in at least 95%",
    () => {
      const sc = scenario(
        "p95 +30%",
        { latencyMedianMs: 1040 },
        {
          ...traffic,
          stopAfterCanaryRequests: 1000,
        },
      );
      expect(run(sc, rolledBackWithin(1000)).rate).toBeGreaterThanOrEqual(0.95);
    },
    TIMEOUT,
  );

  it(
    "p95 latency 10% higher: not rolled back in at least 95%",
    () => {
      const t = run(scenario("p95 +10%", { latencyMedianMs: 880 }, traffic), rolledBack);
      expect(1 - t.rate).toBeGreaterThanOrEqual(0.95);
    },
    TIMEOUT,
  );

  it(
    "error rate 3% vs 1%: rolled back within 2,000 canary requests in at least 95%",
    () => {
      const sc = scenario(
        "errors 3%",
        { errorRate: 0.03 },
        {
          ...traffic,
          stopAfterCanaryRequests: 2000,
        },
      );
      expect(run(sc, rolledBackWithin(2000)).rate).toBeGreaterThanOrEqual(0.95);
    },
    TIMEOUT,
  );

  it(
    "regression in one country: that country excluded, the rest promoted",
    () => {
      const sc = scenario(
        "one country 6% errors",
        {},
        {
          ...traffic,
          countries: [
            { code: "US", share: 40 },
            { code: "DE", share: 25 },
            { code: "IN", share: 25 },
            { code: "BR", share: 10, canary: { errorRate: 0.06 } },
          ],
        },
      );
      const ok = (r: SimResult) =>
        r.finalRoute.state === "promoted" &&
        r.events.some((e) => e.action === "exclude_segment") &&
        r.events.every((e) => e.action !== "rollback") &&
        r.events
          .filter((e) => e.action === "exclude_segment")
          .every((e) => e.reasons.at(-1)?.startsWith("excluded exclude-country-BR;"));
      expect(run(sc, ok).rate).toBeGreaterThanOrEqual(0.9);
    },
    TIMEOUT,
  );
});
