import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { OutcomeEvent } from "../../contracts/outcome";
import { binIndex } from "../../contracts/sketch";
import { EXCEEDED_RETRIES } from "../../worker/ingest/dead-letter";
import worker from "../../worker/index";
import { DEAD_LETTER_QUEUE, OUTCOMES_QUEUE } from "../../worker/ingest/consume";
import { drizzle } from "drizzle-orm/d1";
import { purgeStorage } from "../../analyzer/retention";
import { ingestCutoff, storageSettings } from "../../contracts/storage";
import { LATE } from "../../worker/ingest/consume";
import { toIngestRow } from "../../worker/ingest/rows";
import { writeOutcomes } from "../../worker/ingest/store";
import { HOUR, MIN, setClock } from "../fixtures/clock";
import { makeOutcome } from "../fixtures/outcome";
import { makeOutcomeMix } from "../fixtures/outcome-mix";

interface Delivery {
  id: string;
  body: unknown;
  attempts?: number;
}

/** Delivers one batch to the consumer and returns its ack/retry state. */
async function deliver(queue: string, deliveries: Delivery[]) {
  const batch = createMessageBatch(
    queue,
    deliveries.map((d) => ({
      id: d.id,
      timestamp: new Date(Date.UTC(2026, 10, 27, 12)),
      attempts: d.attempts ?? 1,
      body: d.body,
    })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  const result = await getQueueResult(batch, ctx);
  return {
    acked: [...result.explicitAcks].sort(),
    retried: result.retryMessages.map((r) => r.msgId).sort(),
    ackAll: result.ackAll,
    retryAll: result.retryBatch.retry,
  };
}

const ids = (ds: Delivery[]) => ds.map((d) => d.id).sort();

async function all<T>(query: string, ...params: unknown[]): Promise<T[]> {
  const { results } = await env.DB.prepare(query)
    .bind(...params)
    .all<T>();
  return results;
}

async function count(query: string, ...params: unknown[]): Promise<number> {
  const row = await env.DB.prepare(query)
    .bind(...params)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

function tally<T>(events: readonly T[], key: (e: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) out[key(e)] = (out[key(e)] ?? 0) + 1;
  return out;
}

/** `requests` n per dim_value of one dimension, summed over minutes and variants. */
async function requestsBy(routeId: string, dim: string): Promise<Record<string, number>> {
  const rows = await all<{ k: string; n: number }>(
    `select dim_value as k, sum(n) as n from rollup_metrics
     where route_id = ? and dim = ? and metric = 'requests' group by dim_value`,
    routeId,
    dim,
  );
  return Object.fromEntries(rows.map((r) => [r.k, r.n]));
}

describe("outcome queue consumer", () => {
  it("writes each request once under redelivery, and every aggregate once", async () => {
    const routeId = "ingest-redelivery";
    const events = makeOutcomeMix({ count: 300, seed: 7, routeId });
    const first = (i: number): Delivery => ({ id: `m-${i}`, body: events[i] });

    // 30% of the events arrive twice: i % 10 == 0 duplicated in the same batch
    // (a second send), == 3 redelivered in the next batch, == 6 in a final batch.
    const batches: Delivery[][] = [];
    for (let b = 0; b < 4; b++) {
      const batch: Delivery[] = [];
      for (let i = b * 75; i < (b + 1) * 75; i++) {
        batch.push(first(i));
        if (i % 10 === 0) batch.push({ id: `m-${i}-again`, body: events[i] });
        if (b > 0 && (i - 75) % 10 === 3) batch.push({ ...first(i - 75), attempts: 2 });
      }
      batches.push(batch);
    }
    batches.push(
      events.flatMap((e, i) => {
        if (i % 10 === 6) return [{ ...first(i), attempts: 3 }];
        if (i >= 225 && i % 10 === 3) return [{ ...first(i), attempts: 2 }];
        return [];
      }),
    );
    expect(batches.flat().length - events.length).toBe(90);
    for (const batch of batches) {
      expect(batch.length).toBeLessThanOrEqual(100);
      const result = await deliver(OUTCOMES_QUEUE, batch);
      expect(result.retried).toEqual([]);
      expect(result.acked).toEqual(ids(batch));
    }

    expect(await count("select count(*) as n from outcomes where route_id = ?", routeId)).toBe(300);

    const byVariant = tally(events, (e) => e.variant);
    expect(await requestsBy(routeId, "all")).toEqual({ "*": 300 });
    const variants = await all<{ variant: string; n: number }>(
      `select variant, sum(n) as n from rollup_metrics
       where route_id = ? and dim = 'all' and metric = 'requests' group by variant`,
      routeId,
    );
    expect(Object.fromEntries(variants.map((r) => [r.variant, r.n]))).toEqual(byVariant);
    expect(await requestsBy(routeId, "country")).toEqual(
      tally(events, (e) => e.country ?? "unknown"),
    );
    expect(await requestsBy(routeId, "segment")).toEqual(
      tally(events, (e) => e.segment ?? "default"),
    );
    expect(await requestsBy(routeId, "class")).toEqual(
      tally(events, (e) => e.requestClass ?? "none"),
    );
    expect(await requestsBy(routeId, "cohort")).toEqual(tally(events, (e) => e.cohort ?? "none"));

    // Latency: sums, sums of squares and sketch bins over successful events.
    const ok = events.filter((e) => e.errorClass === null);
    const latency = await all<{ n: number; s: number; s2: number }>(
      `select sum(n) as n, sum(sum) as s, sum(sum_sq) as s2 from rollup_metrics
       where route_id = ? and dim = 'all' and metric = 'latency_ms'`,
      routeId,
    );
    const sum = ok.reduce((a, e) => a + e.latencyMs, 0);
    const sumSq = ok.reduce((a, e) => a + e.latencyMs ** 2, 0);
    expect(latency[0]?.n).toBe(ok.length);
    expect(latency[0]?.s).toBeCloseTo(sum, 6);
    expect((latency[0]?.s2 ?? 0) / sumSq).toBeCloseTo(1, 12);

    const bins = await all<{ bin: number; n: number }>(
      `select bin, sum(count) as n from rollup_bins
       where route_id = ? and dim = 'all' and metric = 'latency_ms' group by bin`,
      routeId,
    );
    expect(bins.reduce((a, b) => a + b.n, 0)).toBe(ok.length);
    expect(Object.fromEntries(bins.map((b) => [String(b.bin), b.n]))).toEqual(
      tally(ok, (e) => String(binIndex(e.latencyMs))),
    );
    // Only sketched metrics have bins.
    const binned = await all<{ metric: string }>(
      "select distinct metric from rollup_bins where route_id = ? order by metric",
      routeId,
    );
    expect(binned.map((r) => r.metric)).toEqual(["latency_ms", "ttft_ms"]);
    // Per-minute sketches only for `all`; per-slice ones live in step_rollups.
    const binDims = await all<{ dim: string }>(
      "select distinct dim from rollup_bins where route_id = ?",
      routeId,
    );
    expect(binDims.map((r) => r.dim)).toEqual(["all"]);

    // The per-step aggregates hold the same counts, and the sketch merged
    // across batches (one JSON object per slice) holds the same bins.
    const steps = await all<{ variant: string; n: number }>(
      `select variant, n from step_rollups
       where route_id = ? and step = ? and dim = 'all' and metric = 'requests'`,
      routeId,
      events[0]!.step,
    );
    expect(Object.fromEntries(steps.map((r) => [r.variant, r.n]))).toEqual(byVariant);
    const countries = await all<{ k: string; n: number }>(
      `select dim_value as k, sum(n) as n from step_rollups
       where route_id = ? and dim = 'country' and metric = 'requests' group by dim_value`,
      routeId,
    );
    expect(Object.fromEntries(countries.map((r) => [r.k, r.n]))).toEqual(
      tally(events, (e) => e.country ?? "unknown"),
    );
    const sketches = await all<{ bins: string }>(
      `select bins from step_rollups where route_id = ? and dim = 'all' and metric = 'latency_ms'`,
      routeId,
    );
    const merged: Record<string, number> = {};
    for (const r of sketches)
      for (const [bin, c] of Object.entries(JSON.parse(r.bins) as Record<string, number>))
        merged[bin] = (merged[bin] ?? 0) + c;
    expect(merged).toEqual(tally(ok, (e) => String(binIndex(e.latencyMs))));
    const unsketched = await count(
      "select count(*) as n from step_rollups where route_id = ? and metric = 'requests' and bins is not null",
      routeId,
    );
    expect(unsketched).toBe(0);
  });

  it("keeps no step aggregates for requests routed outside a rollout", async () => {
    const routeId = "ingest-no-step";
    const events = makeOutcomeMix({ count: 20, seed: 5, routeId }).map((e, i) =>
      i % 2 === 0 ? { ...e, step: 0 } : { ...e, rolloutId: null },
    );
    const result = await deliver(
      OUTCOMES_QUEUE,
      events.map((e, i) => ({ id: `ns-${i}`, body: e })),
    );
    expect(result.acked.length).toBe(20);
    expect(await requestsBy(routeId, "all")).toEqual({ "*": 20 });
    expect(await count("select count(*) as n from step_rollups where route_id = ?", routeId)).toBe(
      0,
    );
  });

  it("retries a poison message, keeps the good ones, and dead-letters it", async () => {
    const routeId = "ingest-poison";
    const good = makeOutcomeMix({ count: 5, seed: 11, routeId });
    const poison = { ...makeOutcome({ routeId }), latencyMs: "fast" };
    const batch: Delivery[] = [
      ...good.map((e, i) => ({ id: `good-${i}`, body: e })),
      { id: "poison-1", body: poison },
    ];

    const result = await deliver(OUTCOMES_QUEUE, batch);
    expect(result.acked).toEqual(good.map((_, i) => `good-${i}`).sort());
    expect(result.retried).toEqual(["poison-1"]);
    expect(result.ackAll || result.retryAll).toBe(false);
    expect(await count("select count(*) as n from outcomes where route_id = ?", routeId)).toBe(5);

    // After max_retries the platform delivers it to the dead-letter queue.
    const dlq = await deliver(DEAD_LETTER_QUEUE, [{ id: "poison-1", body: poison, attempts: 1 }]);
    expect(dlq.acked).toEqual(["poison-1"]);
    expect(dlq.retried).toEqual([]);
    const [letter] = await all<{ queue: string; reason: string; body: string }>(
      "select queue, reason, body from dead_letters where id = ?",
      "poison-1",
    );
    expect(letter?.queue).toBe(DEAD_LETTER_QUEUE);
    expect(letter?.reason).toMatch(/^latencyMs: /);
    expect(JSON.parse(letter?.body ?? "null")).toEqual(poison);
    expect(await count("select count(*) as n from outcomes where route_id = ?", routeId)).toBe(5);
  });

  it("stores valid dead letters as exceeded retries, once per message id", async () => {
    const e = makeOutcome({ routeId: "ingest-dlq" });
    const big = { blob: "x".repeat(100_000) };
    const batch: Delivery[] = [
      { id: "dl-valid", body: e },
      { id: "dl-big", body: big },
    ];
    expect((await deliver(DEAD_LETTER_QUEUE, batch)).acked).toEqual(["dl-big", "dl-valid"]);
    expect((await deliver(DEAD_LETTER_QUEUE, batch)).acked).toEqual(["dl-big", "dl-valid"]);

    const rows = await all<{ id: string; reason: string; len: number }>(
      "select id, reason, length(body) as len from dead_letters where id like 'dl-%' order by id",
    );
    expect(rows.map((r) => r.id)).toEqual(["dl-big", "dl-valid"]);
    expect(rows[0]?.len).toBe(64 * 1024);
    expect(rows[0]?.reason).not.toBe(EXCEEDED_RETRIES);
    expect(rows[1]?.reason).toBe(EXCEEDED_RETRIES);
    expect(await count("select count(*) as n from outcomes where route_id = 'ingest-dlq'")).toBe(0);
  });

  // Two ways the batch write can fail after the outcome insert has run: a
  // table the bins rollup needs is missing, or its insert aborts at run time.
  const failures = [
    {
      name: "a rollup table is missing",
      break: "ALTER TABLE rollup_bins RENAME TO rollup_bins_offline",
      restore: "ALTER TABLE rollup_bins_offline RENAME TO rollup_bins",
    },
    {
      name: "a rollup insert aborts",
      break:
        "CREATE TRIGGER ingest_test_abort BEFORE INSERT ON rollup_bins BEGIN SELECT RAISE(ABORT, 'injected'); END",
      restore: "DROP TRIGGER ingest_test_abort",
    },
  ];

  it.each(failures.map((f) => [f.name, f] as const))(
    "retries the whole batch when %s, leaving nothing behind",
    async (_, f) => {
      const routeId = `ingest-d1-failure-${f.name.replaceAll(" ", "-")}`;
      const events = makeOutcomeMix({ count: 60, seed: 23, routeId });
      const batch: Delivery[] = events.map((e, i) => ({ id: `f-${i}`, body: e }));

      await env.DB.prepare(f.break).run();
      let failed;
      try {
        failed = await deliver(OUTCOMES_QUEUE, batch);
      } finally {
        await env.DB.prepare(f.restore).run();
      }
      expect(failed.acked).toEqual([]);
      expect(failed.retried).toEqual(ids(batch));
      expect(await count("select count(*) as n from outcomes where route_id = ?", routeId)).toBe(0);
      expect(
        await count("select count(*) as n from rollup_metrics where route_id = ?", routeId),
      ).toBe(0);

      // Redelivery (plus a duplicate send of some events) loses and duplicates nothing.
      const redelivered = [
        ...batch.map((d) => ({ ...d, attempts: 2 })),
        ...batch.slice(0, 10).map((d) => ({ ...d, id: `${d.id}-again` })),
      ];
      const ok = await deliver(OUTCOMES_QUEUE, redelivered);
      expect(ok.retried).toEqual([]);
      expect(ok.acked).toEqual(ids(redelivered));
      expect(await count("select count(*) as n from outcomes where route_id = ?", routeId)).toBe(
        60,
      );
      expect(await requestsBy(routeId, "all")).toEqual({ "*": 60 });
      const okCount = events.filter((e: OutcomeEvent) => e.errorClass === null).length;
      expect(
        await count(
          `select sum(count) as n from rollup_bins
         where route_id = ? and dim = 'all' and metric = 'latency_ms'`,
          routeId,
        ),
      ).toBe(okCount);
    },
  );

  it("refuses an event older than the ingest window as late: dead-lettered with the reason, acked, never counted", async () => {
    const routeId = "ingest-late";
    const window = storageSettings(env).settings.ingestWindowHours;
    const now = Date.now();
    const old = makeOutcome({
      routeId,
      ts: now - (window + 1) * HOUR,
      requestId: `${routeId}-old`,
    });
    const fresh = makeOutcome({ routeId, ts: now - HOUR, requestId: `${routeId}-fresh` });
    const r = await deliver(OUTCOMES_QUEUE, [
      { id: "late-1", body: old },
      { id: "late-2", body: fresh },
    ]);
    expect(r.acked).toEqual(["late-1", "late-2"]);
    const letters = await all<{ id: string; reason: string }>(
      "select id, reason from dead_letters where id = 'late-1'",
    );
    expect(letters).toEqual([{ id: "late-1", reason: LATE }]);
    expect(await count("select count(*) as n from outcomes where route_id = ?", routeId)).toBe(1);
    expect((await requestsBy(routeId, "all"))["*"]).toBe(1);
  });

  it("never prunes a ledger key a possible redelivery needs: after the purge every redelivered event is refused as late or found as a duplicate", async () => {
    const routeId = "ingest-retention";
    const storage = storageSettings(env).settings;
    const start = Math.floor(Date.now() / HOUR) * HOUR - (storage.ingestWindowHours - 1) * HOUR;
    // One event every 10 minutes over the whole window, each hour's keys in the ledger.
    const events = Array.from({ length: (storage.ingestWindowHours - 1) * 6 }, (_, i) =>
      makeOutcome({ routeId, ts: start + i * 10 * MIN, requestId: `${routeId}-${i}` }),
    );
    const first = await deliver(
      OUTCOMES_QUEUE,
      events.map((e, i) => ({ id: `ret-${i}`, body: e })),
    );
    expect(first.acked).toHaveLength(events.length);
    const counted = (await requestsBy(routeId, "all"))["*"];
    expect(counted).toBe(events.length);

    // Six hours on: the cron prunes, then the queue redelivers every event.
    const later = Date.now() + 6 * HOUR;
    setClock(later);
    let pruned = 0;
    for (let run = 0; run < storage.ingestWindowHours; run++)
      pruned += (await purgeStorage(drizzle(env.DB), storage, later, false)).keys;
    expect(pruned).toBeGreaterThan(0); // not vacuous: keys of these events were deleted
    const again = await deliver(
      OUTCOMES_QUEUE,
      events.map((e, i) => ({ id: `ret-again-${i}`, body: e, attempts: 2 })),
    );
    expect(again.acked).toHaveLength(events.length);
    const cutoff = ingestCutoff(later, storage.ingestWindowHours);
    const late = events.filter((e) => e.ts < cutoff).length;
    expect(late).toBeGreaterThan(0);
    expect(
      await count(
        "select count(*) as n from dead_letters where id like 'ret-again-%' and reason = ?",
        LATE,
      ),
    ).toBe(late);
    // Nothing counted twice.
    expect((await requestsBy(routeId, "all"))["*"]).toBe(events.length);
  });

  it("without raw rows stores keys and rollups only, and still counts a redelivered event once", async () => {
    const routeId = "ingest-no-raw";
    const events = makeOutcomeMix({ count: 50, seed: 11, routeId });
    const rows = events.map(toIngestRow);
    const db = drizzle(env.DB);
    const batch = () => ({ id: crypto.randomUUID(), at: Date.now() });
    expect(await writeOutcomes(db, rows, batch(), { rawRows: false })).toEqual({
      written: 50,
      duplicates: 0,
    });
    expect(await writeOutcomes(db, rows.slice(0, 20), batch(), { rawRows: false })).toEqual({
      written: 0,
      duplicates: 20,
    });
    expect(await count("select count(*) as n from outcomes where route_id = ?", routeId)).toBe(0);
    expect((await requestsBy(routeId, "all"))["*"]).toBe(50);
  });
});
