/**
 * Resilience, section "pipeline failing", analyzer half (issue 7, rows
 * 12-15): the cron fires twice or not at all, samples are too few, KV holds
 * garbage. The cron runs through the Worker's `scheduled` entry
 * (`createScheduledController`) against real local D1 and KV; row 16 (races
 * with operators) is in pipeline-races.test.ts.
 */
import { env } from "cloudflare:test";
import { drizzle } from "drizzle-orm/d1";
import { beforeEach, describe, expect, it } from "vitest";
import { reconcile } from "../../store/config-store";
import type { OutcomeEvent } from "../../contracts/outcome";
import { configHealth, resetConfigSource } from "../../worker/config/source";
import { adminJson } from "../fixtures/admin";
import {
  decisionRows,
  ingest,
  kvConfig,
  putConfig,
  resetStorage,
  rolloutConfig,
  runCron,
  versions,
} from "../fixtures/analyzer";
import { chatBody, uniqueTag } from "../fixtures/edge";
import {
  captureConsole,
  count,
  MIN,
  post,
  simConfig,
  T0,
  traffic,
  type CapturedConsole,
} from "./support";

const canaryCount = (events: readonly OutcomeEvent[]) =>
  events.filter((e) => e.variant === "canary").length;

/** The "N of M canary requests" count the analyzer reported in its newest decision. */
function reportedCanarySamples(record: string): number {
  const reasons = (JSON.parse(record) as { reasons: string[] }).reasons;
  const m = reasons.map((r) => /^(\d+) of \d+ canary requests/.exec(r)).find(Boolean);
  if (!m) throw new Error(`no sample count in ${reasons.join("; ")}`);
  return Number(m[1]);
}

let logs: CapturedConsole;
beforeEach(async () => {
  logs = captureConsole();
  await resetStorage();
  resetConfigSource();
  return () => logs.restore();
});

describe("pipeline failing: analyzer and config", () => {
  it("row 12: 20 duplicate cron invocations for the same scheduled time make exactly 1 config change", async () => {
    // A canary without a rollout, already recorded as version 1: the analyzer's change is to start one.
    const { rollout: _none, ...route } = rolloutConfig().routes[0]!;
    await putConfig({ ...rolloutConfig(), routes: [route] });
    await reconcile(drizzle(env.DB), env.CONFIG, Date.now());
    await Promise.all(Array.from({ length: 20 }, () => runCron(T0 + 12 * MIN)));
    expect((await versions()).map((v) => v.source)).toEqual(["seed", "analyzer"]);
    expect((await kvConfig()).routes[0]).toHaveProperty("rollout");
    expect(await count("select count(*) as n from analyzer_runs")).toBe(1);
    expect(await decisionRows()).toHaveLength(1);
  });

  it("row 13: after 3 missed cron runs, the next run's window covers all 4 minutes of data since the last decision", async () => {
    await putConfig(rolloutConfig({ policy: { minCanarySamples: 100_000 } }));
    const before = traffic(1, 3, 200);
    await ingest(before);
    await runCron(T0 + 3 * MIN);
    const first = (await decisionRows())[0]!;
    expect(reportedCanarySamples(first.record)).toBe(canaryCount(before));

    // The runs at T0+4, +5 and +6 never happen; data keeps arriving.
    const during = traffic(3, 7, 200);
    await ingest(during);
    await runCron(T0 + 7 * MIN);
    const rows = await decisionRows();
    expect(rows).toHaveLength(2);
    const next = rows[1]!;
    const window = (JSON.parse(next.record) as { window: { from: number; to: number } }).window;
    expect(window.from).toBeLessThanOrEqual(T0 + 1 * MIN);
    expect(window.to).toBeGreaterThanOrEqual(Math.max(...during.map((e) => e.ts)));
    expect(reportedCanarySamples(next.record) - reportedCanarySamples(first.record)).toBe(
      canaryCount(during),
    );
    expect(reportedCanarySamples(next.record)).toBe(canaryCount([...before, ...during]));
  });

  it("row 14: 10 analyzer runs with too few samples make 0 weight increases", async () => {
    await putConfig(rolloutConfig());
    for (let run = 0; run < 10; run++) {
      await ingest(traffic(run + 1, run + 2, 50));
      await runCron(T0 + (run + 2) * MIN);
    }
    const decisions = await decisionRows();
    expect(decisions).toHaveLength(10);
    expect(decisions.filter((d) => d.action === "hold")).toHaveLength(10);
    const weights = (await versions()).map((v) => {
      const doc = JSON.parse(v.doc) as { routes: Array<{ weight: number }> };
      return doc.routes[0]!.weight;
    });
    const increases = weights.filter((w, i) => i > 0 && w > weights[i - 1]!).length;
    expect(increases).toBe(0);
    expect((await kvConfig()).routes[0]!.weight).toBe(10);
  });

  it("row 15: with a malformed or out-of-range config in KV, 100% of traffic follows the last valid config (or stable) and the problem shows in /admin and the logs", async () => {
    const tag = uniqueTag("r15");
    const variants = async (n: number) => {
      const seen: Record<string, number> = {};
      for (let i = 0; i < n; i++) {
        const res = await post(chatBody(), { headers: { "x-canary-user": `u-${i}` } });
        await res.text();
        const key = `${res.status} ${res.headers.get("x-canary-variant")}`;
        seen[key] = (seen[key] ?? 0) + 1;
      }
      return seen;
    };
    await putConfig(simConfig(tag, { weight: 100 }));
    expect(await variants(10)).toEqual({ "200 canary": 10 });

    const outOfRange = { ...simConfig(tag), version: 2 };
    outOfRange.routes[0]!.weight = 250;
    for (const broken of [JSON.stringify(outOfRange), "{ not json"]) {
      await putConfig(broken);
      expect(await variants(50)).toEqual({ "200 canary": 50 });
      expect(configHealth()).toMatchObject({ status: "invalid", serving: "last_valid" });
      const admin = await adminJson<{ health: { status: string; errors: string[] } }>(
        "/admin/config",
      );
      expect(admin.body.health.status).toBe("invalid");
      expect(admin.body.health.errors.length).toBeGreaterThan(0);
    }
    const logged = logs.lines().filter((l) => l.includes("routing config health changed"));
    expect(logged.filter((l) => l.includes("routes.0.weight: must be at most 100"))).toHaveLength(
      1,
    );
    expect(logged.filter((l) => l.includes('"status":"invalid"'))).toHaveLength(2);

    // A fresh isolate that never saw a valid config: stable only, never the canary.
    resetConfigSource();
    await putConfig(JSON.stringify(outOfRange));
    expect(await variants(100)).toEqual({ "200 stable": 100 });
    const admin = await adminJson<{ health: { serving: string; errors: string[] } }>(
      "/admin/config",
    );
    expect(admin.body.health).toMatchObject({
      serving: "stable_only",
      errors: ["routes.0.weight: must be at most 100"],
    });
  });
});
