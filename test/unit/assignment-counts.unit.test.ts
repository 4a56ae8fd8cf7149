/**
 * Assignment counts at the edge (worker/outcome/tally.ts) and at the queue
 * boundary (worker/ingest/validate.ts): one count per request and key, a
 * tally due by age or by size, and messages that do not parse dead-lettered
 * with the field and the problem.
 */
import { describe, expect, it } from "vitest";
import {
  AssignmentCountsSchema,
  MAX_ASSIGNMENT_KEYS,
  type AssignmentKey,
} from "../../contracts/assignment-counts";
import { toDeadLetter } from "../../worker/ingest/dead-letter";
import { messageErrors, validateAssignmentCounts } from "../../worker/ingest/validate";
import { AssignmentTally, DEFAULT_TALLY_LIMITS } from "../../worker/outcome/tally";
import { SettingsSchema } from "../../contracts/config";
import { makeOutcome } from "../fixtures/outcome";
import { rolloutRoute } from "../fixtures/config";
import { countAssignment, droppedAssignmentCounts } from "../../worker/outcome/beacon";
import type { RoutePlan } from "../../worker/routing/plan";

const NOW = 1_800_000_000_000;
const STEP = NOW - 3_600_000;

const key = (o: Partial<AssignmentKey> = {}): AssignmentKey => ({
  routeId: "chat",
  rolloutId: "canary-1",
  step: STEP,
  releaseId: "canary-1",
  variant: "canary",
  segment: null,
  unit: 7,
  ...o,
});

describe("AssignmentTally", () => {
  it("counts requests per key, and logged ones apart, into one valid message", () => {
    const tally = new AssignmentTally("iso");
    tally.add(key(), true, NOW);
    tally.add(key(), false, NOW + 1);
    tally.add(key({ variant: "stable", releaseId: "stable-1" }), false, NOW + 2);
    tally.add(key({ unit: 8 }), true, NOW + 3);
    tally.add(key({ segment: "beta" }), false, NOW + 4);
    const m = tally.take(NOW + 5)!;
    expect(m).toMatchObject({ kind: "assignments", v: 1, id: "iso:1", from: NOW, at: NOW + 5 });
    expect(m.counts).toEqual([
      ["chat", "canary-1", STEP, "canary-1", "canary", null, 7, 2, 1],
      ["chat", "canary-1", STEP, "stable-1", "stable", null, 7, 1, 0],
      ["chat", "canary-1", STEP, "canary-1", "canary", null, 8, 1, 1],
      ["chat", "canary-1", STEP, "canary-1", "canary", "beta", 7, 1, 0],
    ]);
    expect(AssignmentCountsSchema.safeParse(m).success).toBe(true);
  });

  it("starts over after a take: a new sequence number, nothing counted twice, nothing to send when empty", () => {
    const tally = new AssignmentTally("iso");
    expect(tally.take(NOW)).toBeNull();
    tally.add(key(), false, NOW);
    expect(tally.take(NOW)!.id).toBe("iso:1");
    expect(tally.due(NOW + 60_000)).toBe(false);
    expect(tally.take(NOW)).toBeNull();
    tally.add(key(), false, NOW + 10);
    const second = tally.take(NOW + 20)!;
    expect(second.id).toBe("iso:2");
    expect(second.from).toBe(NOW + 10);
    expect(second.counts).toEqual([
      ["chat", "canary-1", STEP, "canary-1", "canary", null, 7, 1, 0],
    ]);
  });

  it("is due once its first count is as old as the interval (10 s by default)", () => {
    const tally = new AssignmentTally("iso");
    expect(tally.due(NOW)).toBe(false);
    tally.add(key(), false, NOW);
    tally.add(key(), false, NOW + 9_000);
    expect(tally.due(NOW + DEFAULT_TALLY_LIMITS.intervalMs - 1)).toBe(false);
    expect(tally.due(NOW + DEFAULT_TALLY_LIMITS.intervalMs)).toBe(true);
    // settings.assignmentCountsIntervalMs overrides it per call.
    expect(tally.due(NOW + 29_999, 30_000)).toBe(false);
    expect(tally.due(NOW + 30_000, 30_000)).toBe(true);
    expect(tally.due(NOW + 2_000, 2_000)).toBe(true);
  });

  it("takes its interval from settings.assignmentCountsIntervalMs, 1 s to 5 min", () => {
    expect(SettingsSchema.parse({}).assignmentCountsIntervalMs).toBe(
      DEFAULT_TALLY_LIMITS.intervalMs,
    );
    expect(
      SettingsSchema.parse({ assignmentCountsIntervalMs: 60_000 }).assignmentCountsIntervalMs,
    ).toBe(60_000);
    for (const bad of [999, 300_001, 1.5, "10s"])
      expect(SettingsSchema.safeParse({ assignmentCountsIntervalMs: bad }).success).toBe(false);
  });

  it("is due at its bound of keys, of characters and of requests, whatever its age", () => {
    const limits = { intervalMs: 1e9, maxKeys: 3, maxChars: 1e9, maxCount: 1e9 };
    const keys = new AssignmentTally("iso", limits);
    for (const unit of [1, 2]) keys.add(key({ unit }), false, NOW);
    keys.add(key({ unit: 2 }), false, NOW);
    expect(keys.due(NOW)).toBe(false);
    keys.add(key({ unit: 3 }), false, NOW);
    expect(keys.due(NOW)).toBe(true);

    const count = new AssignmentTally("iso", { ...limits, maxKeys: 100, maxCount: 5 });
    for (let i = 0; i < 4; i++) count.add(key(), false, NOW);
    expect(count.due(NOW)).toBe(false);
    count.add(key(), false, NOW);
    expect(count.due(NOW)).toBe(true);

    const chars = new AssignmentTally("iso", { ...limits, maxKeys: 100, maxChars: 200 });
    chars.add(key({ routeId: "r".repeat(100) }), false, NOW);
    expect(chars.due(NOW)).toBe(false);
    chars.add(key({ routeId: "s".repeat(100) }), false, NOW);
    expect(chars.due(NOW)).toBe(true);
  });

  it("keeps a default message within the queue's 128 KB at 128-character ids", () => {
    const tally = new AssignmentTally("iso");
    const long = "x".repeat(120);
    let unit = 0;
    while (!tally.due(NOW))
      tally.add(key({ routeId: `${long}${unit}`, unit: unit++ % 64 }), true, NOW);
    const m = tally.take(NOW)!;
    expect(new TextEncoder().encode(JSON.stringify(m)).length).toBeLessThan(128_000);
    expect(AssignmentCountsSchema.safeParse(m).success).toBe(true);
  });

  it("refuses a key bound the message schema would refuse", () => {
    expect(
      () =>
        new AssignmentTally("iso", { ...DEFAULT_TALLY_LIMITS, maxKeys: MAX_ASSIGNMENT_KEYS + 1 }),
    ).toThrow(/maxKeys/);
  });
});

describe("assignment-count validation", () => {
  const valid = () => {
    const t = new AssignmentTally("iso");
    t.add(key(), true, NOW);
    return t.take(NOW)!;
  };

  it("names the field and the problem of a bad message", () => {
    const bad = (patch: Record<string, unknown>) =>
      validateAssignmentCounts({ ...valid(), ...patch });
    expect(validateAssignmentCounts(valid())).toMatchObject({ ok: true });
    expect(bad({ counts: [] })).toMatchObject({ ok: false, reason: "invalid_counts" });
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ counts: [] }, /^counts: /],
      [{ id: "" }, /^id: /],
      [{ at: -1 }, /^at: /],
      [{ v: 2 }, /^v: /],
      [{ extra: 1 }, /extra/],
      [{ counts: [["chat", "c", STEP, "c", "canary", null, 64, 1, 0]] }, /^counts\.0\.6: /],
      [{ counts: [["chat", "c", STEP, "c", "canary", null, 1, 0, 0]] }, /^counts\.0\.7: /],
      [{ counts: [["chat", "c", STEP, "c", "both", null, 1, 1, 0]] }, /^counts\.0\.4: /],
      [{ counts: [["chat", "c", 0, "c", "canary", null, 1, 1, 0]] }, /^counts\.0\.2: /],
    ];
    for (const [patch, reason] of cases) {
      const v = bad(patch);
      expect(v.ok).toBe(false);
      if (!v.ok) expect(v.errors.join("; ")).toMatch(reason);
    }
  });

  it("dead-letters a bad count message with its own reasons, not an outcome event's", () => {
    const letter = toDeadLetter({ id: "m1", body: { ...valid(), counts: [] } }, "dlq", NOW);
    expect(letter.reason).toMatch(/^counts: /);
    expect(letter.reason).not.toMatch(/requestId/);
    expect(messageErrors(valid())).toEqual([]);
    expect(messageErrors(makeOutcome())).toEqual([]);
    expect(toDeadLetter({ id: "m2", body: valid() }, "dlq", NOW).reason).toBe("exceeded retries");
  });
});

describe("the edge's count sender", () => {
  it("a failed send is counted for /metrics and never thrown to the request", async () => {
    const route = rolloutRoute();
    const plan: RoutePlan = {
      route,
      variant: "canary",
      release: route.canary!,
      stable: route.stable,
      weight: 10,
      segment: null,
      bucket: 1,
    };
    const pending: Array<Promise<unknown>> = [];
    const ctx = { waitUntil: (p: Promise<unknown>) => void pending.push(p) };
    const failing = {
      send: () => Promise.reject(new Error("queue down")),
    } as unknown as Queue;
    const before = droppedAssignmentCounts();
    const t0 = Date.UTC(2026, 0, 1);
    countAssignment(ctx, failing, plan, "user-1", true, t0);
    // Due once the tally is older than the flush interval: the next request sends it.
    countAssignment(ctx, failing, plan, "user-2", false, t0 + DEFAULT_TALLY_LIMITS.intervalMs + 1);
    expect(pending.length).toBe(1);
    await Promise.all(pending);
    expect(droppedAssignmentCounts()).toBe(before + 1);
  });
});
