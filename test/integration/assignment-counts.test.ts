/**
 * Assignment counts end to end: the edge counts every request of a rollout
 * step, logged or not, and sends the counts on the outcome queue; the
 * consumer adds each message once to `step_assignments`; the cron's
 * sample-ratio check tests those exact counts.
 */
import {
  createExecutionContext,
  createMessageBatch,
  env,
  getQueueResult,
  SELF,
} from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AssignmentCounts, AssignmentTuple } from "../../contracts/assignment-counts";
import { UNIT_GROUPS } from "../../contracts/assignment";
import { LATE_COUNTS } from "../../worker/ingest/assignments";
import { OUTCOMES_QUEUE } from "../../worker/ingest/consume";
import worker from "../../worker/index";
import {
  decisionRows,
  ingest,
  MIN,
  putConfig,
  resetStorage,
  rolloutConfig,
  rolloutTraffic,
  runCron,
  T0,
} from "../fixtures/analyzer";
import { HOUR } from "../fixtures/clock";
import { chatBody, simRelease, uniqueTag } from "../fixtures/edge";

const LOGGING = { stableMultiple: 4, canaryShare: 4, minRate: 0.01 };

async function deliver(bodies: Array<{ id: string; body: unknown }>) {
  const batch = createMessageBatch(
    OUTCOMES_QUEUE,
    bodies.map((b) => ({ id: b.id, timestamp: new Date(T0), attempts: 1, body: b.body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  const r = await getQueueResult(batch, ctx);
  return { acked: [...r.explicitAcks].sort(), retried: r.retryMessages.map((m) => m.msgId).sort() };
}

/** `n` requests of an arm spread over the unit groups, `logged` of them logged. */
function spread(variant: "stable" | "canary", n: number, logged: number): AssignmentTuple[] {
  const release = variant === "stable" ? "stable-v1" : "canary-v2";
  const part = (t: number, g: number) =>
    Math.floor(t / UNIT_GROUPS) + (g < t % UNIT_GROUPS ? 1 : 0);
  return Array.from({ length: UNIT_GROUPS }, (_, g): AssignmentTuple => [
    "chat",
    "canary-v2",
    T0,
    release,
    variant,
    null,
    g,
    part(n, g),
    part(logged, g),
  ]).filter((t) => t[7] > 0);
}

function countsMessage(
  id: string,
  counts: AssignmentTuple[],
  at = T0 + 10 * MIN,
): AssignmentCounts {
  return { kind: "assignments", v: 1, id, from: at - 10_000, at, counts };
}

async function storedCounts(rolloutId: string) {
  const { results } = await env.DB.prepare(
    "select variant, sum(n) as n, sum(logged) as logged from step_assignments where rollout_id = ? group by variant order by variant",
  )
    .bind(rolloutId)
    .all<{ variant: string; n: number; logged: number }>();
  return Object.fromEntries(results.map((r) => [r.variant, { n: r.n, logged: r.logged }]));
}

describe("assignment counts", () => {
  it("counts every request through the real edge with sampling on: exactly the requests per arm, and the logged ones", async () => {
    const tag = uniqueTag("assign");
    const stepStartedAt = new Date(T0).toISOString();
    await putConfig({
      version: 5,
      settings: { logging: LOGGING },
      routes: [
        {
          id: "chat",
          models: ["gpt-test"],
          stable: simRelease("stable", tag),
          canary: simRelease("canary", tag),
          weight: 50,
          rollout: { steps: [50, 100], stepIndex: 0, stepStartedAt, startedAt: stepStartedAt },
        },
      ],
    });
    const sent: Array<{ id: string; variant: string }> = [];
    const send = async (user: string) => {
      const res = await SELF.fetch("http://edge.test/v1/chat/completions", {
        method: "POST",
        body: chatBody(),
        headers: { "x-canary-user": user },
      });
      await res.text();
      sent.push({
        id: res.headers.get("x-request-id")!,
        variant: res.headers.get("x-canary-variant")!,
      });
    };
    for (let u = 0; u < 40; u++) for (let k = 0; k < 2; k++) await send(`${tag}-u${u}`);
    // No timers between requests: the request after the interval sends the tally.
    await new Promise((r) => setTimeout(r, 10_500));
    await send(`${tag}-last`);
    const perArm = (v: string) => sent.filter((s) => s.variant === v).length;
    const rolloutId = `canary-${tag}`;
    let stored = await storedCounts(rolloutId);
    for (
      let i = 0;
      i < 100 && (stored.stable?.n ?? 0) + (stored.canary?.n ?? 0) < sent.length;
      i++
    ) {
      await new Promise((r) => setTimeout(r, 100));
      stored = await storedCounts(rolloutId);
    }
    expect(perArm("canary")).toBeGreaterThan(0);
    expect(stored.canary?.n).toBe(perArm("canary"));
    expect(stored.stable?.n).toBe(perArm("stable"));
    // The logged counts are exactly the outcome events that reached D1.
    const ids = JSON.stringify(sent.map((s) => s.id));
    let rows: Array<{ variant: string; n: number }> = [];
    const loggedTotal = (stored.canary?.logged ?? 0) + (stored.stable?.logged ?? 0);
    expect(loggedTotal).toBeLessThan(sent.length);
    for (let i = 0; i < 100; i++) {
      rows = (
        await env.DB.prepare(
          "select variant, count(*) as n from outcomes where request_id in (select value from json_each(?)) group by variant",
        )
          .bind(ids)
          .all<{ variant: string; n: number }>()
      ).results;
      if (rows.reduce((t, r) => t + r.n, 0) >= loggedTotal) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const logged = Object.fromEntries(rows.map((r) => [r.variant, r.n]));
    expect(logged.canary ?? 0).toBe(stored.canary?.logged);
    expect(logged.stable ?? 0).toBe(stored.stable?.logged);
  }, 60_000);

  it("counts a redelivered message once, dead-letters a bad one with its reason and refuses a late one", async () => {
    await resetStorage();
    const m = countsMessage("iso-a:1", [...spread("stable", 90, 30), ...spread("canary", 10, 10)]);
    expect(await deliver([{ id: "q1", body: m }])).toEqual({ acked: ["q1"], retried: [] });
    // Redelivered alone and next to a new message.
    const m2 = countsMessage("iso-a:2", spread("canary", 5, 5));
    expect(
      await deliver([
        { id: "q1", body: m },
        { id: "q2", body: m2 },
      ]),
    ).toEqual({
      acked: ["q1", "q2"],
      retried: [],
    });
    expect(await storedCounts("canary-v2")).toEqual({
      canary: { n: 15, logged: 15 },
      stable: { n: 90, logged: 30 },
    });
    const bad = { ...m, id: "iso-a:3", counts: [] };
    expect(await deliver([{ id: "q3", body: bad }])).toEqual({ acked: [], retried: ["q3"] });
    // The dead-letter queue stores it with the count message's own reason.
    const dlq = createMessageBatch("llm-canary-outcomes-dlq", [
      { id: "q3", timestamp: new Date(T0), attempts: 1, body: bad },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(dlq, env, ctx);
    await getQueueResult(dlq, ctx);
    const letter = await env.DB.prepare("select reason from dead_letters where id = 'q3'").first<{
      reason: string;
    }>();
    expect(letter?.reason).toMatch(/^counts: /);
    const late = countsMessage("iso-a:4", spread("canary", 5, 5), Date.now() - 1000 * HOUR);
    expect(await deliver([{ id: "q4", body: late }])).toEqual({ acked: ["q4"], retried: [] });
    const refused = await env.DB.prepare("select reason from dead_letters where id = 'q4'").first<{
      reason: string;
    }>();
    expect(refused?.reason).toBe(LATE_COUNTS);
    expect((await storedCounts("canary-v2")).canary).toEqual({ n: 15, logged: 15 });
  });

  describe("the cron's SRM", () => {
    const run = async (counts: AssignmentTuple[], loseCanary = 0) => {
      await resetStorage();
      await putConfig(rolloutConfig());
      let lost = 0;
      const events = rolloutTraffic(1, 11, 1000).filter(
        (e) => e.variant === "stable" || lost++ >= loseCanary,
      );
      await ingest(events);
      await deliver([{ id: "c1", body: countsMessage("iso-b:1", counts) }]);
      await runCron(T0 + 12 * MIN);
      const [d] = await decisionRows();
      const record = JSON.parse(d!.record) as {
        srm: { mismatch: boolean; tests: Array<{ counts: string; mismatch: boolean }> };
      };
      return { d: d!, srm: record.srm };
    };

    it("tests the assignment counts when the edge sent them, and advances a matching split", async () => {
      const { d, srm } = await run([
        ...spread("stable", 9000, 9000),
        ...spread("canary", 1000, 1000),
      ]);
      expect(srm.tests.map((t) => [t.counts, t.mismatch])).toEqual([
        ["assignments", false],
        ["logged_vs_sent", false],
      ]);
      expect(d).toMatchObject({ action: "advance" });
    });

    it("holds on a broken split in the assignment counts, which the logged events alone do not show", async () => {
      // 13% of requests assigned to the canary at weight 10; the logged events are 10% canary.
      const { d, srm } = await run([
        ...spread("stable", 8700, 9000),
        ...spread("canary", 1300, 1000),
      ]);
      expect(srm.tests.map((t) => [t.counts, t.mismatch])).toEqual([
        ["assignments", true],
        ["logged_vs_sent", false],
      ]);
      expect(d).toMatchObject({ action: "hold" });
      expect(d.summary).toMatch(/sample-ratio mismatch on segment=default \(assignment counts\)/);
    });

    it("rolls back when canary outcomes the edge sent never arrived", async () => {
      // The edge sent 1,000 canary events; 700 arrived.
      const { d, srm } = await run(
        [...spread("stable", 9000, 9000), ...spread("canary", 1000, 1000)],
        300,
      );
      expect(srm.tests.map((t) => [t.counts, t.mismatch])).toEqual([
        ["assignments", false],
        ["logged_vs_sent", true],
      ]);
      expect(d).toMatchObject({ action: "rollback" });
      expect(d.summary).toMatch(/\(outcomes logged vs sent\)/);
    });
  });
});
