/**
 * A Worker for the analyzer benchmark, run in workerd with local D1: seeds a
 * 24-hour window of synthetic traffic and times the analyzer's per-route work
 * (`readWindow` + `decide`) on it, with the project's own code.
 *
 * Two ways to seed, both writing the same rollup rows:
 * - `/seed/ingest`: the real ingest path (`writeOutcomes`, outcomes + rollups
 *   in one D1 batch), in chunks of 1,000 events;
 * - `/seed/rollups`: the rollup rows those events produce, computed here the
 *   way ingest's SQL does (per minute, route, rollout, release, variant, dim
 *   value and metric: count, sum, sum of squares, and sketch-bin counts) and
 *   upserted directly, which is what makes 10^6 events per route affordable.
 * `/compare` checks that both give identical rollups on the same events.
 */
import { drizzle } from "drizzle-orm/d1";
import type { Route } from "../../contracts/config";
import { rollupDims } from "../../contracts/dims";
import { decide } from "../../analyzer/policy/decide";
import { readWindow } from "../../analyzer/store/window-reader";
import { toOutcomeRow, type MetricTriple } from "../../worker/ingest/rows";
import { writeOutcomes } from "../../worker/ingest/store";
import { syntheticOutcomes, type TrafficOptions } from "./traffic";

type Env = Record<string, D1Database>;

const DAY = 24 * 60 * 60_000;
/** Bytes of JSON per bound parameter (D1 caps a string value at 2 MB). */
const MAX_PARAM = 900_000;

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

/** JSON arrays of at most MAX_PARAM bytes each. */
function chunks(rows: unknown[]): string[] {
  const out: string[] = [];
  let part: string[] = [];
  let bytes = 2;
  for (const r of rows) {
    const s = JSON.stringify(r);
    if (part.length > 0 && bytes + s.length + 1 > MAX_PARAM) {
      out.push(`[${part.join(",")}]`);
      part = [];
      bytes = 2;
    }
    part.push(s);
    bytes += s.length + 1;
  }
  if (part.length > 0) out.push(`[${part.join(",")}]`);
  return out;
}

const KEY = "minute, route_id, rollout_id, release_id, variant, dim, dim_value, metric";
const PK = "route_id, rollout_id, minute, variant, release_id, dim, dim_value, metric";
const SEL = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `json_extract(value, '$[${i}]')`).join(", ");

async function seedRollups(db: D1Database, t: TrafficOptions, start: number, count: number) {
  // Keys are the rollup key columns joined by SEP (cheaper than JSON per key).
  const SEP = "\u0001";
  const sums = new Map<string, [number, number, number]>();
  const bins = new Map<string, number>();
  for (const e of syntheticOutcomes(t, start, count)) {
    const row = toOutcomeRow(e);
    const triples = JSON.parse(row.metrics) as MetricTriple[];
    const head = [row.minute, row.routeId, row.rolloutId, row.releaseId, row.variant].join(SEP);
    for (const [dim, value] of rollupDims(row)) {
      const base = head + SEP + dim + SEP + value + SEP;
      for (const [metric, v, bin] of triples) {
        const key = base + metric;
        const s = sums.get(key);
        if (s) {
          s[0] += 1;
          s[1] += v;
          s[2] += v * v;
        } else sums.set(key, [1, v, v * v]);
        if (bin !== null) {
          const bk = key + SEP + bin;
          bins.set(bk, (bins.get(bk) ?? 0) + 1);
        }
      }
    }
  }
  const parse = (k: string) => {
    const p: Array<string | number> = k.split(SEP);
    p[0] = Number(p[0]);
    if (p.length > 8) p[8] = Number(p[8]);
    return p;
  };
  const metricRows = [...sums].map(([k, s]) => [...parse(k), ...s]);
  const binRows = [...bins].map(([k, c]) => [...parse(k), c]);
  const stmts: D1PreparedStatement[] = [];
  for (const json of chunks(metricRows)) {
    stmts.push(
      db
        .prepare(
          `INSERT INTO rollup_metrics (${KEY}, n, sum, sum_sq)
           SELECT ${SEL}, json_extract(value, '$[8]'), json_extract(value, '$[9]'), json_extract(value, '$[10]')
           FROM json_each(?) WHERE true
           ON CONFLICT (${PK}) DO UPDATE SET n = n + excluded.n, sum = sum + excluded.sum,
             sum_sq = sum_sq + excluded.sum_sq`,
        )
        .bind(json),
    );
  }
  for (const json of chunks(binRows)) {
    stmts.push(
      db
        .prepare(
          `INSERT INTO rollup_bins (${KEY}, bin, count)
           SELECT ${SEL}, json_extract(value, '$[8]'), json_extract(value, '$[9]')
           FROM json_each(?) WHERE true
           ON CONFLICT (${PK}, bin) DO UPDATE SET count = count + excluded.count`,
        )
        .bind(json),
    );
  }
  if (stmts.length > 0) await db.batch(stmts);
  return { metricRows: metricRows.length, binRows: binRows.length };
}

async function compare(a: D1Database, b: D1Database): Promise<{ equal: boolean; detail: string }> {
  const q = (db: D1Database, sql: string) => db.prepare(sql).all<Record<string, number | string>>();
  for (const [table, cols] of [
    ["rollup_metrics", "n, sum, sum_sq"],
    ["rollup_bins", "bin, count"],
  ] as const) {
    const sql = `SELECT ${KEY}, ${cols} FROM ${table} ORDER BY ${KEY}${table === "rollup_bins" ? ", bin" : ""}`;
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
            : u === v;
        if (!same) return { equal: false, detail: `${table} row ${i} ${k}: ${u} vs ${v}` };
      }
    }
  }
  return { equal: true, detail: "rollup_metrics and rollup_bins identical" };
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const db = env[url.searchParams.get("db") ?? "DB"];
    const start = Number(url.searchParams.get("start") ?? "0");
    const count = Number(url.searchParams.get("count") ?? "1000");
    switch (url.pathname) {
      case "/noop":
        return Response.json({ ok: true });
      case "/seed/ingest": {
        const t = traffic(url);
        const rows = syntheticOutcomes(t, start, count).map(toOutcomeRow);
        await writeOutcomes(drizzle(db!), rows, { id: crypto.randomUUID(), at: Date.now() });
        return Response.json({ events: rows.length });
      }
      case "/seed/rollups":
        return Response.json(await seedRollups(db!, traffic(url), start, count));
      case "/read": {
        const t = traffic(url);
        const window = await readWindow(drizzle(db!), benchRoute(t), t.from, t.to);
        return Response.json({ slices: window.slices.length });
      }
      case "/analyze": {
        const t = traffic(url);
        const route = benchRoute(t);
        const window = await readWindow(drizzle(db!), route, t.from, t.to);
        const d = decide({ route, now: t.to, window });
        return Response.json({ slices: window.slices.length, action: d.action });
      }
      case "/rows": {
        const one = async (table: string) =>
          (await db!.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>())?.n ?? 0;
        return Response.json({
          rollupMetrics: await one("rollup_metrics"),
          rollupBins: await one("rollup_bins"),
        });
      }
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
