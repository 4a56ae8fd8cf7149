/**
 * Resilience, section "pipeline failing", ingest half (issue 7, rows 8-11):
 * the queue redelivers, D1 fails inside a batch write, poison arrives, the
 * queue refuses sends. Batches handed to the consumer with
 * `createMessageBatch` show every ack and retry; the real local queue (sends
 * through `env.OUTCOMES`, its retries, its dead-letter queue) shows that the
 * platform's own redelivery ends with every event stored once.
 */
import {
  createExecutionContext,
  createMessageBatch,
  env,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { OutcomeEvent } from "../../contracts/outcome";
import { DEAD_LETTER_QUEUE, OUTCOMES_QUEUE } from "../../worker/ingest/consume";
import worker from "../../worker/index";
import { droppedOutcomes } from "../../worker/outcome/emit";
import { resetStorage } from "../fixtures/analyzer";
import { chatBody, putConfig, uniqueTag } from "../fixtures/edge";
import { makeOutcome } from "../fixtures/outcome";
import { mulberry32 } from "../../analyzer/sim/prng";
import { makeOutcomeMix } from "../fixtures/outcome-mix";
import {
  captureConsole,
  count,
  type CapturedConsole,
  EDGE_URL,
  pool,
  simConfig,
  waitFor,
} from "./support";

interface Delivery {
  id: string;
  body: unknown;
  attempts: number;
}

/** Hands one batch to the consumer; returns the message ids it acked and retried. */
async function deliver(deliveries: readonly Delivery[]) {
  const batch = createMessageBatch(
    OUTCOMES_QUEUE,
    deliveries.map((d) => ({ ...d, timestamp: new Date() })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  const result = await getQueueResult(batch, ctx);
  return {
    acked: new Set(result.explicitAcks),
    retried: new Set(result.retryMessages.map((r) => r.msgId)),
  };
}

async function storedIds(routeId: string): Promise<Set<string>> {
  const { results } = await env.DB.prepare("select request_id from outcomes where route_id = ?")
    .bind(routeId)
    .all<{ request_id: string }>();
  return new Set(results.map((r) => r.request_id));
}

/** Sum of `requests` rollups for one dimension of a route. */
async function rolledUp(routeId: string, dim: string): Promise<number> {
  return count(
    "select coalesce(sum(n), 0) as n from rollup_metrics where route_id = ? and dim = ? and metric = 'requests'",
    routeId,
    dim,
  );
}

const DIMS = ["all", "segment", "country", "cohort", "class"];

function shuffle<T>(xs: T[], rnd: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

function chunk<T>(xs: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(xs.length / size) }, (_, i) =>
    xs.slice(i * size, (i + 1) * size),
  );
}

/** Sends bodies to the real outcome queue (at most 100 messages per `sendBatch`). */
async function sendAll(bodies: readonly unknown[]): Promise<void> {
  for (const part of chunk(bodies, 100)) {
    await env.OUTCOMES.sendBatch(part.map((body) => ({ body, contentType: "json" as const })));
  }
}

const BREAK_BINS =
  "CREATE TRIGGER resilience_abort BEFORE INSERT ON rollup_bins BEGIN SELECT RAISE(ABORT, 'injected D1 failure'); END";
const HEAL_BINS = "DROP TRIGGER IF EXISTS resilience_abort";

let logs: CapturedConsole;
beforeEach(async () => {
  logs = captureConsole();
  await env.DB.prepare(HEAL_BINS).run();
  await resetStorage();
  return () => logs.restore();
});

describe("pipeline failing: ingest", () => {
  it("row 8: 1,000 distinct request ids with 30% delivered twice or more give exactly 1,000 rows and rollups summing to 1,000", async () => {
    const routeId = "r8-redelivery";
    const events = makeOutcomeMix({ count: 1_000, seed: 8, routeId });
    // i % 10 == 0 or 6: delivered twice; i % 10 == 3: three times (30% in all).
    const deliveries: Delivery[] = events.flatMap((body, i) => {
      const copies = i % 10 === 3 ? 3 : i % 10 === 0 || i % 10 === 6 ? 2 : 1;
      return Array.from({ length: copies }, (_, k) => ({
        id: `r8-${i}-${k}`,
        body,
        attempts: k + 1,
      }));
    });
    const repeated = new Set(
      deliveries.filter((d) => d.attempts > 1).map((d) => (d.body as OutcomeEvent).requestId),
    );
    expect(repeated.size).toBe(300);
    expect(deliveries).toHaveLength(1_400);

    let acked = 0;
    for (const batch of chunk(shuffle(deliveries, mulberry32(88)), 100)) {
      const r = await deliver(batch);
      expect(r.retried.size).toBe(0);
      acked += r.acked.size;
    }
    expect(acked).toBe(1_400);
    expect((await storedIds(routeId)).size).toBe(1_000);
    for (const dim of DIMS) expect(await rolledUp(routeId, dim)).toBe(1_000);
  });

  it("row 9: when D1 fails inside 3 of 10 batch writes, 0 uncommitted messages are acked and after redelivery 0 events are lost and 0 duplicated", async () => {
    const routeId = "r9-d1-failure";
    const events = makeOutcomeMix({ count: 1_000, seed: 9, routeId });
    const batches = chunk(
      events.map((body, i) => ({ id: `r9-${i}`, body, attempts: 1 })),
      100,
    );
    const failing = new Set([2, 5, 8]);
    const redeliver: Delivery[] = [];
    let ackedWithoutRow = 0;
    for (const [b, batch] of batches.entries()) {
      if (failing.has(b)) await env.DB.prepare(BREAK_BINS).run();
      let r;
      try {
        r = await deliver(batch);
      } finally {
        await env.DB.prepare(HEAL_BINS).run();
      }
      const stored = await storedIds(routeId);
      for (const d of batch) {
        const id = (d.body as OutcomeEvent).requestId;
        if (r.acked.has(d.id) && !stored.has(id)) ackedWithoutRow += 1;
        if (r.retried.has(d.id)) redeliver.push({ ...d, attempts: d.attempts + 1 });
      }
      expect(r.acked.size + r.retried.size).toBe(batch.length);
    }
    expect(ackedWithoutRow).toBe(0);
    expect(redeliver).toHaveLength(300);
    expect((await storedIds(routeId)).size).toBe(700);

    for (const batch of chunk(redeliver, 100)) {
      const r = await deliver(batch);
      expect(r.acked.size).toBe(batch.length);
    }
    expect((await storedIds(routeId)).size).toBe(1_000);
    for (const dim of DIMS) expect(await rolledUp(routeId, dim)).toBe(1_000);
  });

  it("row 9: through the real queue, 200 of 200 events are stored once after a failed batch write is redelivered", async () => {
    const routeId = "r9-real-queue";
    await env.DB.prepare(BREAK_BINS).run();
    const events = makeOutcomeMix({ count: 200, seed: 19, routeId });
    await sendAll(events);
    await waitFor(
      async () => (logs.lines().some((l) => l.includes("D1 write failed")) ? true : null),
      "a failed batch write",
    );
    expect(await count("select count(*) as n from outcomes where route_id = ?", routeId)).toBe(0);
    await env.DB.prepare(HEAL_BINS).run();
    await waitFor(
      async () =>
        (await count("select count(*) as n from outcomes where route_id = ?", routeId)) === 200
          ? true
          : null,
      "200 stored events",
      40_000,
    );
    for (const dim of DIMS) expect(await rolledUp(routeId, dim)).toBe(200);
    expect(await count("select count(*) as n from dead_letters")).toBe(0);
  });

  it("row 10: 10 of 10 poison messages end in the dead-letter queue after the retries and 100 of 100 good ones are written", async () => {
    const routeId = "r10-poison";
    const good = makeOutcomeMix({ count: 100, seed: 10, routeId });
    const base = makeOutcome({ routeId });
    const { requestId: _omit, ...withoutId } = base;
    const poison: unknown[] = [
      { ...base, latencyMs: "fast" },
      { ...base, v: 2 },
      { ...base, status: -1 },
      { ...base, variant: "blue" },
      { ...base, metrics: { "Bad Name": 1 } },
      { ...base, unexpected: true },
      { ...base, cohort: "c".repeat(500) },
      withoutId,
      "not an object",
      [1, 2, 3],
    ];
    await sendAll([...good, ...poison]);
    await waitFor(
      async () => ((await count("select count(*) as n from dead_letters")) >= 10 ? true : null),
      "10 dead letters",
      45_000,
    );
    const { results: letters } = await env.DB.prepare(
      "select queue, reason, body from dead_letters",
    ).all<{ queue: string; reason: string; body: string }>();
    expect(letters).toHaveLength(10);
    expect(
      letters.filter((l) => l.queue === DEAD_LETTER_QUEUE && l.reason.length > 0),
    ).toHaveLength(10);
    const bodies = new Set(letters.map((l) => l.body));
    expect(poison.filter((p) => bodies.has(JSON.stringify(p)))).toHaveLength(10);
    expect(await count("select count(*) as n from outcomes where route_id = ?", routeId)).toBe(100);
    expect(await rolledUp(routeId, "all")).toBe(100);
  });

  it("row 11: with a queue that refuses every send, 0 of 100 client requests fail and /metrics counts 100 dropped outcomes", async () => {
    const tag = uniqueTag("r11");
    await putConfig(simConfig(tag, { weight: 50 }));
    const refusing = {
      ...env,
      OUTCOMES: {
        send: () => Promise.reject(new Error("Queue is overloaded")),
        sendBatch: () => Promise.reject(new Error("Queue is overloaded")),
      },
    } as unknown as Env;
    const metric = async () => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(
        new Request("http://edge.test/metrics", {
          headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` },
        }),
        env,
        ctx,
      );
      const text = await res.text();
      await waitOnExecutionContext(ctx);
      const line = text.split("\n").find((l) => l.startsWith("llm_canary_outcomes_dropped_total"));
      return Number(line?.split(" ").at(-1));
    };
    const before = await metric();
    expect(before).toBe(droppedOutcomes());

    const answers = await pool(100, 10, async (i) => {
      const stream = i % 2 === 0;
      const ctx = createExecutionContext();
      const res = await worker.fetch(
        new Request(EDGE_URL, {
          method: "POST",
          body: chatBody({ stream }),
          headers: { "x-canary-user": `u-${i}` },
        }),
        refusing,
        ctx,
      );
      const text = await res.text();
      await waitOnExecutionContext(ctx);
      const complete = stream
        ? text.trimEnd().endsWith("data: [DONE]")
        : typeof (JSON.parse(text) as { choices?: unknown[] }).choices?.[0] === "object";
      return res.status === 200 && complete;
    });
    expect(answers.filter((ok) => !ok)).toHaveLength(0);
    expect((await metric()) - before).toBe(100);
  });
});
