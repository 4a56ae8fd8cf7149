/**
 * The outcome archive in workerd with real local R2 and D1: the consumer
 * writes one object per route and hour before D1, a redelivered batch
 * rewrites the same objects byte for byte, a redelivery in another batch
 * leaves copies that the reader (`GET /admin/archive/outcomes`) removes, a
 * failing archive retries the batch and writes nothing to D1, and "off"
 * archives nothing. The archive's events export as the same lines as D1's.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { exportEvent, outcomePageSql, rowToEvent } from "../../cli/export-rows";
import { ARCHIVE_CURSOR_HEADER } from "../../contracts/admin-api";
import { OutcomeEventSchema, type OutcomeEvent } from "../../contracts/outcome";
import { routePrefix } from "../../worker/archive/layout";
import { OUTCOMES_QUEUE } from "../../worker/ingest/consume";
import worker from "../../worker/index";
import { adminFetch } from "../fixtures/admin";
import { HOUR, MIN, T0 } from "../fixtures/clock";
import { makeOutcome } from "../fixtures/outcome";

/** Delivers events as one batch to the consumer with `over` replacing bindings. */
async function deliver(events: readonly OutcomeEvent[], over: Partial<Env> = {}) {
  const batch = createMessageBatch(
    OUTCOMES_QUEUE,
    events.map((body) => ({
      id: `m-${body.requestId}`,
      timestamp: new Date(body.ts),
      attempts: 1,
      body,
    })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, { ...env, ...over }, ctx);
  const result = await getQueueResult(batch, ctx);
  return {
    acked: result.explicitAcks.length,
    retried: result.retryMessages.map((r) => r.msgId),
  };
}

/** Every object of a route: key → bytes. */
async function objects(routeId: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const listed = await env.ARCHIVE.list({ prefix: routePrefix(routeId) });
  for (const o of listed.objects) {
    const body = await env.ARCHIVE.get(o.key);
    out.set(o.key, [...new Uint8Array(await body!.arrayBuffer())].join(","));
  }
  return out;
}

/** All pages of the archive endpoint for a route. */
async function readArchive(routeId: string, since: number, until: number) {
  const events: OutcomeEvent[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const q = new URLSearchParams({ route: routeId, since: String(since), until: String(until) });
    if (cursor) q.set("cursor", cursor);
    const res = await adminFetch(`/admin/archive/outcomes?${q}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    for (const line of (await res.text()).split("\n"))
      if (line) events.push(OutcomeEventSchema.parse(JSON.parse(line)));
    cursor = res.headers.get(ARCHIVE_CURSOR_HEADER);
    pages += 1;
  } while (cursor);
  return { events, pages };
}

async function d1Count(sql: string, ...params: unknown[]): Promise<number> {
  const row = await env.DB.prepare(sql)
    .bind(...params)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

function eventsOf(routeId: string, n: number, start = T0 + HOUR): OutcomeEvent[] {
  return Array.from({ length: n }, (_, i) =>
    makeOutcome({
      routeId,
      requestId: `${routeId}-${String(i).padStart(4, "0")}`,
      // Two UTC hours: the last 20 minutes of one and the first of the next.
      ts: start - 20 * MIN + i * 30_000,
      variant: i % 4 === 0 ? "canary" : "stable",
      latencyMs: 100 + (i % 17),
    }),
  );
}

describe("outcome archive", () => {
  it("writes one object per route and hour, the same keys and bytes under redelivery", async () => {
    const routeId = "archive-same";
    const events = eventsOf(routeId, 60);
    expect(await deliver(events)).toMatchObject({ acked: 60, retried: [] });
    const first = await objects(routeId);
    expect(first.size).toBe(2);
    for (const key of first.keys()) {
      const head = await env.ARCHIVE.head(key);
      expect(head?.httpMetadata?.contentType).toBe("application/x-ndjson");
      expect(head?.httpMetadata?.contentEncoding).toBe("gzip");
    }
    // The queue redelivers the batch in another order: same objects, byte for byte.
    expect(await deliver([...events].reverse())).toMatchObject({ acked: 60, retried: [] });
    expect(await objects(routeId)).toEqual(first);
    expect(await d1Count("select count(*) as n from outcomes where route_id = ?", routeId)).toBe(
      60,
    );
  });

  it("leaves copies of a redelivery in another batch, which the reader removes", async () => {
    const routeId = "archive-copies";
    const events = eventsOf(routeId, 60);
    await deliver(events.slice(0, 40));
    await deliver(events.slice(20, 60));
    // Hour one: the first batch's object and the second's (its copies of 20..39); hour two: one.
    expect((await objects(routeId)).size).toBe(3);
    const read = await readArchive(routeId, T0, T0 + 3 * HOUR);
    expect(read.events.map((e) => e.requestId)).toEqual(events.map((e) => e.requestId));
    expect(read.events).toEqual(events);
    // D1 counted each request once too.
    const requests = await d1Count(
      "select sum(n) as n from rollup_metrics where route_id = ? and dim = 'all' and metric = 'requests'",
      routeId,
    );
    expect(requests).toBe(60);
  });

  it("retries the batch and writes nothing to D1 when the archive fails", async () => {
    const routeId = "archive-failing";
    const events = eventsOf(routeId, 10);
    // An injected failing dependency: R2 refusing every put.
    const failing = {
      put: () => Promise.reject(new Error("R2 unavailable")),
    } as unknown as R2Bucket;
    const r = await deliver(events, { ARCHIVE: failing });
    expect(r.acked).toBe(0);
    expect(r.retried).toHaveLength(10);
    expect(await d1Count("select count(*) as n from outcomes where route_id = ?", routeId)).toBe(0);
    expect(
      await d1Count("select count(*) as n from rollup_metrics where route_id = ?", routeId),
    ).toBe(0);
    expect((await objects(routeId)).size).toBe(0);
  });

  it('archives nothing with OUTCOME_ARCHIVE "off", and D1 still counts', async () => {
    const routeId = "archive-off";
    const events = eventsOf(routeId, 10);
    expect(await deliver(events, { OUTCOME_ARCHIVE: "off" })).toMatchObject({ acked: 10 });
    expect((await objects(routeId)).size).toBe(0);
    expect(await d1Count("select count(*) as n from outcomes where route_id = ?", routeId)).toBe(
      10,
    );
  });

  it("pages a busy range with cursors, each event once and in order", async () => {
    const routeId = "archive-pages";
    // 12,000 events over three hours in batches of 100: more than two pages' budget.
    const events = Array.from({ length: 12_000 }, (_, i) =>
      makeOutcome({ routeId, requestId: `pg-${i}`, ts: T0 + Math.floor(i * 0.9 * 1000) }),
    );
    for (let i = 0; i < events.length; i += 100) await deliver(events.slice(i, i + 100));
    const read = await readArchive(routeId, T0, T0 + 4 * HOUR);
    expect(read.pages).toBeGreaterThanOrEqual(4);
    expect(read.events.length).toBe(events.length);
    expect(read.events.map((e) => e.requestId)).toEqual(events.map((e) => e.requestId));
  });

  it("exports the same lines from the archive as from D1", async () => {
    const routeId = "archive-parity";
    const events = eventsOf(routeId, 80).map((e, i) => ({
      ...e,
      rolloutId: i % 5 === 0 ? null : e.rolloutId,
      unit: i % 3 === 0 ? undefined : i % 64,
      metrics: { ...e.metrics, zeta_score: i / 7, alpha: 1 },
    }));
    await deliver(events.slice(0, 50));
    await deliver(events.slice(30));
    const { results } = await env.DB.prepare(outcomePageSql({ routeId }, null)).all();
    const fromD1 = results.map((r) => JSON.stringify(exportEvent(rowToEvent(r))));
    const fromR2 = (await readArchive(routeId, T0, T0 + 3 * HOUR)).events.map((e) =>
      JSON.stringify(exportEvent(e)),
    );
    expect(fromD1).toHaveLength(80);
    expect(fromR2).toEqual(fromD1);
  });

  it("refuses a query without a route or with a cursor outside the range", async () => {
    expect((await adminFetch("/admin/archive/outcomes?since=0")).status).toBe(422);
    const bad = await adminFetch("/admin/archive/outcomes?route=x&since=1000&until=2000&cursor=5");
    expect(bad.status).toBe(422);
    expect((await adminFetch("/admin/archive/outcomes?route=x", { token: null })).status).toBe(401);
  });
});
