import { env } from "cloudflare:test";
import { drizzle } from "drizzle-orm/d1";
import { beforeEach, describe, expect, it } from "vitest";
import { ROUTING_CONFIG_KEY } from "../../contracts/kv-keys";
import { latestVersion, writeConfig } from "../../store/config-store";
import { DAY, HOUR } from "../fixtures/clock";
import {
  decisionRows,
  ingest,
  kvConfig,
  MIN,
  putConfig,
  resetStorage,
  rolloutConfig,
  rolloutTraffic,
  runCron,
  T0,
  versions,
} from "../fixtures/analyzer";

/** Traffic at the configured 10% weight; `errorRate` and `latency` shape the canary. */
const traffic = (
  fromMin: number,
  toMin: number,
  perMinute: number,
  canary: { errorRate?: number; latency?: number } = {},
) =>
  rolloutTraffic(fromMin, toMin, perMinute, {
    canaryErrorRate: canary.errorRate,
    canaryLatencyMs: canary.latency,
  });

describe("scheduled analyzer", () => {
  beforeEach(resetStorage);

  it("records the seeded config and holds while samples are too few", async () => {
    await putConfig(rolloutConfig());
    await ingest(traffic(1, 3, 20));
    await runCron(T0 + 4 * MIN);
    const v = await versions();
    expect(v.map((x) => [x.version, x.source])).toEqual([[1, "seed"]]);
    const [d] = await decisionRows();
    expect(d).toMatchObject({ action: "hold", changed: 0, applied: 0 });
    expect(d!.summary).toMatch(/of 100 canary requests/);
  });

  it("never judges a seeded rollout stuck by the date in its file; stuck once recorded too long, with what to do", async () => {
    const longAgo = new Date(T0 - 400 * DAY).toISOString();
    await putConfig(rolloutConfig({ stepStartedAt: longAgo }));
    await ingest(traffic(1, 3, 20));
    await runCron(T0 + 4 * MIN);
    const [first] = await decisionRows();
    expect(first).toMatchObject({ action: "hold" });
    // The same rollout, 25 hours after the analyzer first recorded it: stuck.
    await runCron(T0 + 4 * MIN + 25 * HOUR);
    const stuck = (await decisionRows())[1];
    expect(stuck).toMatchObject({ action: "stuck", changed: 0 });
    expect(stuck!.summary).toMatch(/rollout running 1500m \(since /);
    const record = JSON.parse(stuck!.record) as { reasons: string[] };
    expect(record.reasons.at(-1)).toMatch(/^to act: /);
  });

  it("advances a healthy canary once, however many duplicate runs fire", async () => {
    await putConfig(rolloutConfig());
    await ingest(traffic(1, 11, 1000));
    await Promise.all(Array.from({ length: 20 }, () => runCron(T0 + 12 * MIN)));
    const v = await versions();
    expect(v.map((x) => x.source)).toEqual(["seed", "analyzer"]);
    const kv = await kvConfig();
    expect(kv.version).toBe(2);
    expect(kv.routes[0]!.weight).toBe(50);
    const rows = await decisionRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: "advance", applied: 1 });
    const record = JSON.parse(rows[0]!.record) as { verdicts: Array<Record<string, unknown>> };
    expect(record.verdicts.length).toBeGreaterThan(0);
  });

  it("rolls back a canary with a 5x error rate", async () => {
    await putConfig(rolloutConfig());
    await ingest(traffic(1, 11, 300, { errorRate: 0.2 }));
    await runCron(T0 + 12 * MIN);
    const kv = await kvConfig();
    expect(kv.routes[0]).toMatchObject({ weight: 0, state: "rolled_back" });
    const [d] = await decisionRows();
    expect(d).toMatchObject({ action: "rollback", applied: 1 });
    expect(d!.summary).toMatch(/error/i);
  });

  it("changes nothing in dry-run, but records what it would do", async () => {
    await putConfig(rolloutConfig({ policy: { dryRun: true } }));
    await ingest(traffic(1, 11, 300, { errorRate: 0.2 }));
    await runCron(T0 + 12 * MIN);
    expect((await kvConfig()).routes[0]).toMatchObject({ weight: 10, state: "active" });
    expect((await versions()).map((x) => x.source)).toEqual(["seed"]);
    expect((await decisionRows())[0]).toMatchObject({
      action: "rollback",
      dry_run: 1,
      changed: 1,
      applied: 0,
    });
  });

  it("applies a write for every route of one run: each compare-and-set sees the previous one", async () => {
    const route = (id: string) => ({
      id,
      models: [`${id}-model`],
      stable: { id: `${id}-stable-v1`, originUrl: "http://127.0.0.1:9/stable", model: "a" },
      canary: { id: `${id}-canary-v2`, originUrl: "http://127.0.0.1:9/canary", model: "b" },
      weight: 0,
    });
    await putConfig({ version: 1, routes: [route("chat"), route("summaries")] });
    await runCron(T0 + MIN);
    const v = await versions();
    expect(v.map((x) => [x.version, x.source])).toEqual([
      [1, "seed"],
      [2, "analyzer"],
      [3, "analyzer"],
    ]);
    const rows = await decisionRows();
    expect(rows.map((d) => [d.action, d.applied])).toEqual([
      ["advance", 1],
      ["advance", 1],
    ]);
    const kv = await kvConfig();
    expect(kv.version).toBe(3);
    expect(kv.routes.map((r) => r.weight)).toEqual([1, 1]);
  });

  it("refuses a stale writer", async () => {
    await putConfig(rolloutConfig());
    await runCron(T0 + MIN);
    const db = drizzle(env.DB);
    const latest = (await latestVersion(db))!;
    const first = await writeConfig(db, env.CONFIG, {
      expectedVersion: latest.version,
      config: latest.doc,
      actor: "a",
      reason: "r",
      source: "admin",
      now: T0,
    });
    expect(first.ok).toBe(true);
    const stale = await writeConfig(db, env.CONFIG, {
      expectedVersion: latest.version,
      config: latest.doc,
      actor: "b",
      reason: "r",
      source: "admin",
      now: T0,
    });
    expect(stale).toEqual({ ok: false, reason: "conflict", currentVersion: latest.version + 1 });
  });

  it("refuses to change what a release id means", async () => {
    await putConfig(rolloutConfig());
    await runCron(T0 + MIN);
    const db = drizzle(env.DB);
    const latest = (await latestVersion(db))!;
    const route = latest.doc.routes[0]!;
    const moved = {
      ...latest.doc,
      routes: [{ ...route, canary: { ...route.canary!, model: "other" } }],
    };
    const r = await writeConfig(db, env.CONFIG, {
      expectedVersion: latest.version,
      config: moved,
      actor: "a",
      reason: "r",
      source: "admin",
      now: T0,
    });
    expect(r).toMatchObject({ ok: false, reason: "invalid" });
  });

  it("detects a direct KV edit, records it and never raises the operator's weight", async () => {
    await putConfig(rolloutConfig());
    await runCron(T0 + MIN);
    const edited = await kvConfig();
    edited.routes[0]!.weight = 0;
    await env.CONFIG.put(ROUTING_CONFIG_KEY, JSON.stringify(edited));
    await ingest(traffic(1, 11, 300));
    await runCron(T0 + 12 * MIN);
    const v = await versions();
    expect(v.map((x) => x.source)).toEqual(["seed", "kv-direct", "analyzer"]);
    expect(v[1]!.reason).toMatch(/direct KV edit/);
    // The new weight starts a step of its own (traffic at 10% is not pooled with 0%).
    expect(v[2]!.reason).toMatch(
      /step restarted after a direct KV weight edit \(chat: weights 10 → 0\)/,
    );
    const restarted = await kvConfig();
    expect(restarted.routes[0]!.weight).toBe(0);
    const stepStart = (r: Record<string, unknown>) =>
      (r.rollout as { stepStartedAt: string }).stepStartedAt;
    expect(stepStart(restarted.routes[0]!)).not.toBe(stepStart(edited.routes[0]!));
    await runCron(T0 + 13 * MIN);
    expect((await kvConfig()).routes[0]!.weight).toBe(0);
    const last = (await decisionRows()).at(-1)!;
    expect(last.summary + last.record).toMatch(/operator cap/);
  });

  it("puts the newest version back when KV lost a write", async () => {
    await putConfig(rolloutConfig());
    await runCron(T0 + MIN);
    const v1 = await env.CONFIG.get(ROUTING_CONFIG_KEY);
    const db = drizzle(env.DB);
    const latest = (await latestVersion(db))!;
    await writeConfig(db, env.CONFIG, {
      expectedVersion: latest.version,
      config: { ...latest.doc, routes: [{ ...latest.doc.routes[0]!, weight: 5 }] },
      actor: "a",
      reason: "lower",
      source: "admin",
      now: T0,
    });
    await env.CONFIG.put(ROUTING_CONFIG_KEY, v1!);
    await runCron(T0 + 2 * MIN);
    expect((await kvConfig()).version).toBe(2);
    expect((await versions()).map((x) => x.source)).toEqual(["seed", "admin"]);
  });

  it("changes nothing and counts the error when D1 cannot be read, then freezes the route", async () => {
    await putConfig(rolloutConfig());
    await runCron(T0 + MIN);
    await env.DB.exec("ALTER TABLE step_rollups RENAME TO step_rollups_away");
    try {
      await runCron(T0 + 2 * MIN);
      await runCron(T0 + 3 * MIN);
      expect((await versions()).length).toBe(1);
      const health = JSON.parse((await env.CONFIG.get("analyzer:health"))!) as {
        routes: Record<string, { consecutiveErrors: number; lastError: string }>;
      };
      expect(health.routes.chat).toMatchObject({
        consecutiveErrors: 2,
        lastError: expect.stringMatching(/step_rollups/),
      });
      await runCron(T0 + 4 * MIN);
    } finally {
      await env.DB.exec("ALTER TABLE step_rollups_away RENAME TO step_rollups");
    }
    await ingest(traffic(1, 11, 1000));
    await runCron(T0 + 12 * MIN);
    expect((await kvConfig()).routes[0]).toMatchObject({ state: "paused", weight: 10 });
    expect((await decisionRows()).at(-1)).toMatchObject({ action: "freeze", applied: 1 });
    await runCron(T0 + 13 * MIN);
    expect((await decisionRows()).at(-1)!.action).toBe("freeze");
  });
});
