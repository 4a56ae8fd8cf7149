/**
 * A Worker for the analyzer benchmark, run in workerd with local D1: seeds a
 * 24-hour window of synthetic traffic and times the analyzer's per-route work
 * (`readStep` + `decide`) on it, with the project's own code.
 *
 * Two ways to seed, both writing the same rollup rows:
 * - `/seed/ingest`: the real ingest path (`writeOutcomes`: outcomes, rollups
 *   and step aggregates in one D1 batch), in chunks of 1,000 events;
 * - `/seed/rollups`: the same increments (`rollupIncrements`) upserted without
 *   storing the outcome rows, in slices of 25,000 events, which is what makes
 *   10^6 events per route affordable.
 * `/compare` checks that both give identical rollups on the same events (so
 * merging sketches across many small batches equals merging them at once).
 * `/capacity` and `/compact` serve the capacity bench (bench/suites/capacity.mjs).
 */
import { drizzle } from "drizzle-orm/d1";
import type { Route } from "../../contracts/config";
import type { RollupDim } from "../../contracts/dims";
import { decide } from "../../analyzer/policy/decide";
import { readStep } from "../../analyzer/store/step-reader";
import { judgedQuantileSources } from "../../analyzer/policy/policy";
import { compactStepDetail } from "../../analyzer/retention";
import { rollupIncrements } from "../../worker/ingest/aggregate";
import { toIngestRow } from "../../worker/ingest/rows";
import { OUTCOMES_QUEUE } from "../../worker/ingest/consume";
import { handleQueue } from "../../worker/queues";
import { incrementStatements, writeOutcomes } from "../../worker/ingest/store";
import { syntheticOutcomes, type TrafficOptions } from "./traffic";

type Env = Record<string, D1Database>;

const DAY = 24 * 60 * 60_000;

function traffic(url: URL): TrafficOptions {
  const q = (k: string, d?: string) => url.searchParams.get(k) ?? d ?? "";
  const to = Number(q("to"));
  return {
    n: Number(q("n")),
    from: to - DAY,
    to,
    seed: Number(q("seed", "1")),
    routeId: q("route", "bench"),
    stableId: "bench-stable",
    canaryId: "bench-canary",
    canaryShare: Number(q("canaryShare", "0.1")),
    idPrefix: q("prefix", "b"),
  };
}

/** The route the analyzer judges: its current step started 24 hours ago. */
function benchRoute(t: TrafficOptions): Route {
  const at = new Date(t.from).toISOString();
  return {
    id: t.routeId,
    models: ["bench-model"],
    stable: { id: t.stableId, originUrl: "https://stable.invalid", model: "m1" },
    canary: { id: t.canaryId, originUrl: "https://canary.invalid", model: "m2" },
    weight: t.canaryShare * 100,
    segments: [{ name: "beta-cohort", match: { cohorts: ["beta"] }, weight: t.canaryShare * 100 }],
    state: "active",
    rollout: { steps: [10, 50, 100], stepIndex: 0, stepStartedAt: at, startedAt: at },
  };
}

async function seedRollups(db: D1Database, t: TrafficOptions, start: number, count: number) {
  const rows = syntheticOutcomes(t, start, count).map(toIngestRow);
  const inc = rollupIncrements(rows);
  const [first, ...rest] = incrementStatements(drizzle(db), inc);
  if (first) await drizzle(db).batch([first, ...rest]);
  return {
    metricRows: inc.minuteSums.length,
    binRows: inc.minuteBins.length,
    stepRows: inc.steps.length,
  };
}

/**
 * The outcome consumer's own throughput: `batches` batches of 100 events (each
 * spanning 2 s, the consumer's max_batch_timeout) built in this isolate and
 * handed to the real queue handler one after the other, so no serialization
 * between processes is timed. Time is read after each batch's D1 write.
 */
async function ingestInIsolate(db: D1Database, url: URL, ctx: ExecutionContext) {
  const batches = Number(url.searchParams.get("batches") ?? "20");
  const seq = Number(url.searchParams.get("seq") ?? "0");
  const start = Number(url.searchParams.get("start") ?? String(Date.now() - 3_600_000));
  let acked = 0;
  const work = Array.from({ length: batches }, (_, b) => {
    const from = start + (seq + b) * 2_000;
    const events = syntheticOutcomes(
      {
        n: 100,
        from,
        to: from + 2_000,
        seed: seq + b + 1,
        routeId: "bench",
        stableId: "bench-stable",
        canaryId: "bench-canary",
        canaryShare: 0.05,
        idPrefix: `iso-${seq + b}`,
        step: start,
      },
      0,
      100,
    );
    const messages = events.map((body, i) => ({
      id: `iso-${seq + b}-${i}`,
      timestamp: new Date(from),
      attempts: 1,
      body: body as unknown,
      ack: () => void (acked += 1),
      retry: () => {},
    }));
    return {
      queue: OUTCOMES_QUEUE,
      messages,
      ackAll: () => {},
      retryAll: () => {},
    } as unknown as MessageBatch<unknown>;
  });
  const env = { DB: db } as unknown as Parameters<typeof handleQueue>[1];
  const t0 = Date.now();
  for (const batch of work) await handleQueue(batch, env, ctx);
  const ms = Date.now() - t0;
  // The floor under any batch: a D1 transaction that writes one row (and
  // deletes it again), as many times as there were batches.
  const t1 = Date.now();
  for (let b = 0; b < batches; b++)
    await db.batch([
      db
        .prepare("INSERT INTO ingest_guards (batch, expected, inserted) VALUES (?, 0, 0)")
        .bind("f"),
      db.prepare("DELETE FROM ingest_guards WHERE batch = ?").bind("f"),
    ]);
  return { ms, acked, events: batches * 100, commitMs: (Date.now() - t1) / batches };
}

async function compare(a: D1Database, b: D1Database): Promise<{ equal: boolean; detail: string }> {
  const q = (db: D1Database, sql: string) => db.prepare(sql).all<Record<string, number | string>>();
  const MINUTE_KEY = "minute, route_id, rollout_id, release_id, variant, dim, dim_value, metric";
  const STEP_KEY = "route_id, rollout_id, step, variant, release_id, dim, dim_value, metric";
  for (const [table, key, cols] of [
    ["rollup_metrics", MINUTE_KEY, "n, sum, sum_sq"],
    ["rollup_bins", `${MINUTE_KEY}, bin`, "count"],
    ["step_rollups", STEP_KEY, "n, sum, sum_sq, bins"],
  ] as const) {
    const sql = `SELECT ${key}, ${cols} FROM ${table} ORDER BY ${key}`;
    const [ra, rb] = [(await q(a, sql)).results, (await q(b, sql)).results];
    if (ra.length !== rb.length)
      return { equal: false, detail: `${table}: ${ra.length} vs ${rb.length} rows` };
    for (let i = 0; i < ra.length; i++) {
      const x = ra[i]!;
      const y = rb[i]!;
      for (const k of Object.keys(x)) {
        const [u, v] = [x[k], y[k]];
        const same =
          typeof u === "number" && typeof v === "number"
            ? Math.abs(u - v) <= 1e-9 * Math.max(1, Math.abs(u), Math.abs(v))
            : k === "bins" && typeof u === "string" && typeof v === "string"
              ? sameBins(u, v)
              : u === v;
        if (!same) return { equal: false, detail: `${table} row ${i} ${k}: ${u} vs ${v}` };
      }
    }
  }
  return { equal: true, detail: "rollup_metrics, rollup_bins and step_rollups identical" };
}

/** Two sketches as `{"<bin>": count}` JSON, whatever their key order. */
function sameBins(a: string, b: string): boolean {
  const x = JSON.parse(a) as Record<string, number>;
  const y = JSON.parse(b) as Record<string, number>;
  const keys = Object.keys(x);
  return keys.length === Object.keys(y).length && keys.every((k) => x[k] === y[k]);
}

/** The table a write statement writes: `insert into "t"`, `update "t"`, `delete from "t"`. */
function writtenTable(sql: string): string {
  return /^\s*(?:insert\s+into|update|delete\s+from)\s+"?(\w+)"?/i.exec(sql)?.[1] ?? "other";
}

/** What the statements of D1 batches wrote: rows written (as billed) and rows changed, per table. */
interface WriteCounts {
  statements: number;
  rowsWritten: number;
  byTable: Record<string, number>;
  changesByTable: Record<string, number>;
}

/**
 * `db` with every batch and single statement counted into the returned
 * tallies, by the table each statement writes.
 */
function counted(db: D1Database): { db: D1Database; counts: WriteCounts } {
  const counts: WriteCounts = { statements: 0, rowsWritten: 0, byTable: {}, changesByTable: {} };
  // The SQL of each statement drizzle prepares (and binds), to name its table.
  const sqlOf = new WeakMap<D1PreparedStatement, string>();
  const tally = (stmt: D1PreparedStatement, r: D1Result) => {
    const n = r.meta.rows_written ?? 0;
    const table = writtenTable(sqlOf.get(stmt) ?? "");
    counts.statements += 1;
    counts.rowsWritten += n;
    counts.byTable[table] = (counts.byTable[table] ?? 0) + n;
    counts.changesByTable[table] = (counts.changesByTable[table] ?? 0) + (r.meta.changes ?? 0);
  };
  const proxy = new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare")
        return (query: string) => {
          const stmt = target.prepare(query);
          const bind = stmt.bind.bind(stmt);
          sqlOf.set(stmt, query);
          stmt.bind = (...values: unknown[]) => {
            const bound = bind(...values);
            sqlOf.set(bound, query);
            const run = bound.run.bind(bound);
            bound.run = async <T>() => {
              const r = await run<T>();
              tally(bound, r);
              return r;
            };
            return bound;
          };
          return stmt;
        };
      if (prop === "batch")
        return async (items: D1PreparedStatement[]) => {
          const results = await target.batch(items);
          results.forEach((r, i) => tally(items[i]!, r));
          return results;
        };
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { db: proxy, counts };
}

/**
 * The capacity bench's feed (bench/suites/capacity.mjs): `batches` queue
 * batches of 100 events through the real write path, `perMinute` events per
 * simulated minute from `start`, the wide dimension mix, raw rows when
 * `rawRows=1`, per-minute rollups under `minuteDims` (comma-separated; default
 * every dimension); counts the D1 statements and the rows D1 reports written
 * (indexes included, as billed), in all and per table, and the rows each
 * table's statements changed.
 */
async function capacityBatches(db: D1Database, url: URL) {
  const q = (k: string) => Number(url.searchParams.get(k) ?? "0");
  const perMinute = q("perMinute");
  const seq = q("seq");
  const start = q("start");
  const rawRows = url.searchParams.get("rawRows") === "1";
  const dims = url.searchParams.get("minuteDims");
  const minuteDims = dims === null ? undefined : (dims.split(",") as RollupDim[]);
  const { db: counting, counts } = counted(db);
  const spanMs = (100 / perMinute) * 60_000;
  let events = 0;
  for (let b = 0; b < q("batches"); b++) {
    const from = start + (seq + b) * spanMs;
    const rows = syntheticOutcomes(
      {
        n: 100,
        from,
        to: from + spanMs,
        step: start,
        seed: seq + b + 1,
        routeId: "capacity",
        stableId: "capacity-stable",
        canaryId: "capacity-canary",
        canaryShare: 0.2,
        idPrefix: `cap-${seq + b}`,
        wide: true,
      },
      0,
      100,
    ).map(toIngestRow);
    await writeOutcomes(
      drizzle(counting),
      rows,
      { id: crypto.randomUUID(), at: Date.now() },
      { rawRows, minuteDims },
    );
    events += rows.length;
  }
  return { events, ...counts };
}

/**
 * Compacts every step that started before `before` as the cron does
 * (`compactStepDetail`, run after run until nothing is left), counting the
 * rows it wrote.
 */
async function compactSteps(db: D1Database, before: number) {
  const { db: counting, counts } = counted(db);
  let rows = 0;
  let runs = 0;
  for (;;) {
    const n = await compactStepDetail(drizzle(counting), { before, keep: [] });
    if (n === 0) break;
    rows += n;
    runs += 1;
  }
  return { rows, runs, ...counts };
}

/** The bench route's step as the cron reads it: only the judged quantiles' group bins. */
async function readAsCron(db: D1Database, t: TrafficOptions) {
  const route = benchRoute(t);
  const groupBinsOf = judgedQuantileSources(undefined, route.policy);
  const window = await readStep(drizzle(db), route, t.to, { groupBinsOf });
  return { route, window };
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    const db = env[url.searchParams.get("db") ?? "DB"];
    const start = Number(url.searchParams.get("start") ?? "0");
    const count = Number(url.searchParams.get("count") ?? "1000");
    switch (url.pathname) {
      case "/noop":
        return Response.json({ ok: true });
      case "/seed/ingest": {
        const t = traffic(url);
        const rows = syntheticOutcomes(t, start, count).map(toIngestRow);
        await writeOutcomes(drizzle(db!), rows, { id: crypto.randomUUID(), at: Date.now() });
        return Response.json({ events: rows.length });
      }
      case "/seed/rollups":
        return Response.json(await seedRollups(db!, traffic(url), start, count));
      case "/read": {
        const { window } = await readAsCron(db!, traffic(url));
        return Response.json({ slices: window.slices.length });
      }
      case "/analyze": {
        const t = traffic(url);
        const { route, window } = await readAsCron(db!, t);
        const d = decide({ route, now: t.to, window });
        return Response.json({ slices: window.slices.length, action: d.action });
      }
      case "/rows": {
        const one = async (table: string) =>
          (await db!.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>())?.n ?? 0;
        return Response.json({
          rollupMetrics: await one("rollup_metrics"),
          rollupBins: await one("rollup_bins"),
          stepRollups: await one("step_rollups"),
          stepBins:
            (
              await db!
                .prepare(
                  "SELECT coalesce(sum((SELECT count(*) FROM json_each(bins))), 0) AS n FROM step_rollups",
                )
                .first<{ n: number }>()
            )?.n ?? 0,
          stepBytes: await db!
            .prepare(
              "SELECT coalesce(sum(length(bins)), 0) AS bins, coalesce(sum(length(groups)), 0) AS groups, " +
                "coalesce(sum(length(group_bins)), 0) AS groupBins FROM step_rollups",
            )
            .first<{ bins: number; groups: number; groupBins: number }>(),
        });
      }
      case "/ingest":
        return Response.json(await ingestInIsolate(db!, url, ctx));
      case "/capacity":
        return Response.json(await capacityBatches(db!, url));
      case "/compact":
        return Response.json(await compactSteps(db!, Number(url.searchParams.get("before"))));
      case "/compare": {
        const a = env[url.searchParams.get("a") ?? ""];
        const b = env[url.searchParams.get("b") ?? ""];
        return Response.json(await compare(a!, b!));
      }
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
