// @ts-check
/* global URLSearchParams */
/**
 * Analyzer cost per route for a 24-hour window at 10^3..10^6 requests (issue
 * 3): one D1 database per size, seeded through bench/workers/harness.ts, then
 * `readStep` + `decide` timed from outside the Worker (round trip minus the
 * round trip of a no-op request), sizes interleaved round by round.
 *
 * First, the two ways of seeding are checked against each other on the same
 * events: the real ingest path and the directly computed rollups must leave
 * identical rollup tables.
 */
import { postJson as call } from "../lib/post.mjs";
import { median, rotation, spread } from "../lib/stats.mjs";

/** @param {string} url */
async function timed(url) {
  const t0 = performance.now();
  await call(url);
  return performance.now() - t0;
}

/**
 * @param {number} n
 */
export const dbName = (n) => `DB_${n}`;

/**
 * @param {{ url: string, sizes: number[], check: number, slice: number, repeats: number,
 *   budgetMs: number, log: (s: string) => void }} o
 */
export async function analyzer(o) {
  const to = Math.floor(Date.now() / 60_000) * 60_000;
  const q = (/** @type {Record<string, string | number>} */ p) =>
    new URLSearchParams(
      Object.entries({ to, seed: 7, route: "bench", ...p }).map(([k, v]) => [k, String(v)]),
    ).toString();

  // 1. Both seeding paths give the same rollups.
  const check = o.check;
  for (let start = 0; start < check; start += 1000)
    await call(
      `${o.url}/seed/ingest?${q({ db: "CHECK_A", n: check, start, count: 1000, prefix: "chk" })}`,
    );
  await call(`${o.url}/seed/rollups?${q({ db: "CHECK_B", n: check, start: 0, count: check })}`);
  /** @type {{ equal: boolean, detail: string }} */
  const equivalence = await call(`${o.url}/compare?a=CHECK_A&b=CHECK_B`);
  o.log(`    rollups via ingest vs computed directly (${check} events): ${equivalence.detail}`);

  // 2. Seed one database per size.
  /** @type {Record<string, { seedSeconds: number, rows: { rollupMetrics: number, rollupBins: number, stepRollups: number, stepBins: number } }>} */
  const seeded = {};
  for (const n of o.sizes) {
    const t0 = performance.now();
    for (let start = 0; start < n; start += o.slice)
      await call(`${o.url}/seed/rollups?${q({ db: dbName(n), n, start, count: o.slice })}`);
    /** @type {{ rollupMetrics: number, rollupBins: number, stepRollups: number, stepBins: number }} */
    const rows = await call(`${o.url}/rows?db=${dbName(n)}`);
    seeded[String(n)] = { seedSeconds: (performance.now() - t0) / 1000, rows };
    o.log(
      `    seeded ${n} requests: ${rows.rollupMetrics} rollup_metrics + ${rows.rollupBins} rollup_bins + ${rows.stepRollups} step_rollups rows (${rows.stepBins} sketch bins) in ${seeded[String(n)]?.seedSeconds.toFixed(1)} s`,
    );
  }

  // 3. Time readStep + decide, sizes interleaved.
  /** @type {number[]} */
  const noop = [];
  for (let i = 0; i < 30; i++) noop.push(await timed(`${o.url}/noop`));
  const base = median(noop.slice(5));
  /** @type {Record<string, number[]>} */
  const raw = Object.fromEntries(o.sizes.map((n) => [String(n), []]));
  /** @type {Record<string, number[]>} */
  const readOnly = Object.fromEntries(o.sizes.map((n) => [String(n), []]));
  // Repeats per size within a time budget: a size whose one call takes
  // seconds gets fewer (at least 3) rounds than one that takes milliseconds.
  /** @type {Record<string, number>} */
  const quota = {};
  for (const n of o.sizes) {
    const first = await timed(`${o.url}/analyze?${q({ db: dbName(n), n })}`);
    quota[String(n)] = Math.max(3, Math.min(o.repeats, Math.floor(o.budgetMs / 2 / first)));
  }
  for (let r = 0; r < o.repeats; r++) {
    for (const n of rotation(o.sizes, r)) {
      if (r >= (quota[String(n)] ?? 0)) continue;
      raw[String(n)]?.push(await timed(`${o.url}/analyze?${q({ db: dbName(n), n })}`));
      readOnly[String(n)]?.push(await timed(`${o.url}/read?${q({ db: dbName(n), n })}`));
    }
  }
  const results = Object.fromEntries(
    o.sizes.map((n) => {
      const r = raw[String(n)] ?? [];
      return [
        String(n),
        {
          ...seeded[String(n)],
          analyzeMs: spread(r.map((x) => Math.max(0, x - base))),
          readStepMs: spread((readOnly[String(n)] ?? []).map((x) => Math.max(0, x - base))),
          roundTripMs: spread(r),
        },
      ];
    }),
  );
  const first = results[String(o.sizes[0])]?.analyzeMs.median ?? NaN;
  const last = results[String(o.sizes.at(-1))]?.analyzeMs.median ?? NaN;
  return {
    equivalence: { events: check, ...equivalence },
    noopMs: base,
    sizes: results,
    ratio: last / first,
    largest: o.sizes.at(-1),
    smallest: o.sizes[0],
  };
}
