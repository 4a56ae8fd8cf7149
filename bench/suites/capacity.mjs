// @ts-check
/**
 * Capacity: what the outcome pipeline stores and writes per million events,
 * measured on the real write path (`writeOutcomes`: ledger keys, raw rows,
 * rollups and step aggregates in one D1 batch) in workerd with local D1,
 * fed a simulated stretch of the logged stream at a fixed rate with a
 * production-wide dimension mix (200 countries, 10 cohorts, 4 classes). Per
 * table bytes come from SQLite's dbstat; statements and rows written (as D1
 * reports them, indexes included) from every batch; R2 bytes from the gzip
 * NDJSON of the same events grouped as the archive groups them (one object
 * per batch, route and hour). docs/capacity.md projects them to 30 days.
 *
 * Run once per profile, each into a database of its own: `wide` writes raw
 * rows and per-minute rollups of every dimension (the defaults), `production`
 * what docs/capacity.md sets at 10,000 requests a second (no raw rows in D1,
 * per-minute rollups of `all` only: MINUTE_ROLLUP_DIMS = "all"). After the
 * feed, the step is compacted as the cron compacts a finished one
 * (`compactStepDetail`: unit-group columns to null) and measured again.
 *
 * D1 refuses dbstat and most pragmas, so the per-table bytes are read from
 * Miniflare's persisted SQLite file with Python's sqlite3 (dbstat), which
 * Debian's python3 has; without python3 only the total is reported.
 */

/**
 * Bytes per table and index of the SQLite files under `dir` (whole pages, what
 * the file holds), the bytes of row data in them (`payload`: less than the
 * pages by the space free inside pages) and the bytes of free pages (pages a
 * delete or a shrinking update released, which later writes reuse), or null.
 * @param {string} dir
 * @returns {{ tables: Record<string, number>, payload: Record<string, number>, free: number } | null}
 */
function fileTableBytes(dir) {
  /** @type {string[]} */
  const files = [];
  const walk = (/** @type {string} */ d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith(".sqlite")) files.push(join(d, e.name));
    }
  };
  walk(dir);
  const script = [
    "import sqlite3, sys, json",
    "out = {}",
    "payload = {}",
    "free = 0",
    "for f in sys.argv[1:]:",
    "    c = sqlite3.connect(f)",
    "    for name, b, p in c.execute('SELECT name, SUM(pgsize), SUM(payload) FROM dbstat GROUP BY name'):",
    "        out[name] = out.get(name, 0) + b",
    "        payload[name] = payload.get(name, 0) + p",
    "    free += c.execute('PRAGMA freelist_count').fetchone()[0] * c.execute('PRAGMA page_size').fetchone()[0]",
    "print(json.dumps({'tables': out, 'payload': payload, 'free': free}))",
  ].join("\n");
  try {
    return JSON.parse(execFileSync("python3", ["-c", script, ...files], { encoding: "utf8" }));
  } catch {
    return null;
  }
}
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { postJson } from "../lib/post.mjs";

/**
 * The write profiles measured: raw rows or not, and the dimensions with
 * per-minute rows (null: every dimension).
 * @type {Record<string, { rawRows: boolean, minuteDims: string | null }>}
 */
export const PROFILES = {
  wide: { rawRows: true, minuteDims: null },
  production: { rawRows: false, minuteDims: "all" },
};

/**
 * @param {{ url: string, traffic: typeof import("../workers/traffic").syntheticOutcomes,
 *   minutes: number, perMinute: number, stateDir: string, log: (s: string) => void,
 *   profile: { rawRows: boolean, minuteDims: string | null } }} o
 */
export async function capacity(o) {
  const batchesPerMinute = Math.round(o.perMinute / 100);
  const total = o.minutes * batchesPerMinute;
  const start = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 6 * 3_600_000;
  let events = 0;
  let statements = 0;
  let rowsWritten = 0;
  /** @type {Record<string, number>} */
  const byTable = {};
  /** @type {Record<string, number>} */
  const changesByTable = {};
  const PER_REQUEST = 20;
  const profileQuery = `rawRows=${o.profile.rawRows ? 1 : 0}${o.profile.minuteDims === null ? "" : `&minuteDims=${o.profile.minuteDims}`}`;
  const t0 = performance.now();
  for (let seq = 0; seq < total; seq += PER_REQUEST) {
    const n = Math.min(PER_REQUEST, total - seq);
    /** @type {{ events: number, statements: number, rowsWritten: number, byTable: Record<string, number>, changesByTable: Record<string, number> }} */
    const r = await postJson(
      `${o.url}/capacity?db=CAPACITY&batches=${n}&seq=${seq}&start=${start}&perMinute=${o.perMinute}&${profileQuery}`,
    );
    events += r.events;
    statements += r.statements;
    rowsWritten += r.rowsWritten;
    for (const [t, w] of Object.entries(r.byTable)) byTable[t] = (byTable[t] ?? 0) + w;
    for (const [t, c] of Object.entries(r.changesByTable))
      changesByTable[t] = (changesByTable[t] ?? 0) + c;
    if ((seq / PER_REQUEST) % 50 === 0)
      o.log(`    ${events} events (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  const ingestSeconds = (performance.now() - t0) / 1000;
  const measured = fileTableBytes(o.stateDir);
  const fileTables = measured?.tables ?? {};
  /** @type {Record<string, number>} */
  const counts = await postJson(`${o.url}/rows?db=CAPACITY`);
  // The one step of the feed (it started at `start`), compacted as a finished step.
  /** @type {{ rows: number, runs: number, statements: number, rowsWritten: number }} */
  const compaction = await postJson(`${o.url}/compact?db=CAPACITY&before=${start + 1}`);
  const compacted = fileTableBytes(o.stateDir);
  const stepBytes = (/** @type {Record<string, number>} */ t) =>
    (t.step_rollups ?? 0) + (t.sqlite_autoindex_step_rollups_1 ?? 0);
  // The archive's bytes: the same events, one gzip NDJSON object per batch.
  let r2Bytes = 0;
  let r2Objects = 0;
  const sample = Math.min(total, 500);
  for (let b = 0; b < sample; b++) {
    const spanMs = (100 / o.perMinute) * 60_000;
    const from = start + b * spanMs;
    const evs = o.traffic(
      {
        n: 100,
        from,
        to: from + spanMs,
        step: start,
        seed: b + 1,
        routeId: "capacity",
        stableId: "capacity-stable",
        canaryId: "capacity-canary",
        canaryShare: 0.2,
        idPrefix: `cap-${b}`,
        wide: true,
      },
      0,
      100,
    );
    r2Bytes += gzipSync(evs.map((e) => JSON.stringify(e)).join("\n") + "\n").length;
    r2Objects += 1;
  }
  const perMillion = (/** @type {number} */ x) => (x / events) * 1e6;
  const tables = Object.fromEntries(
    Object.entries(fileTables).map(([name, bytes]) => [
      name,
      { bytes, bytesPerMillionEvents: Math.round(perMillion(bytes)) },
    ]),
  );
  return {
    profile: o.profile,
    simulatedMinutes: o.minutes,
    eventsPerMinute: o.perMinute,
    events,
    ingestSeconds,
    seconds: (performance.now() - t0) / 1000,
    d1: {
      bytes: Object.values(fileTables).reduce((a, b) => a + b, 0),
      tables,
      rowCounts: counts,
      statementsPerMillionEvents: Math.round(perMillion(statements)),
      rowsWrittenPerMillionEvents: Math.round(perMillion(rowsWritten)),
      rowsWrittenPerEvent: rowsWritten / events,
      rowsWrittenPerEventByTable: Object.fromEntries(
        Object.entries(byTable).map(([t, w]) => [t, w / events]),
      ),
      // Rows a table's statements inserted or updated, per event: rows written
      // above this are index entries of new rows.
      rowsChangedPerEventByTable: Object.fromEntries(
        Object.entries(changesByTable).map(([t, c]) => [t, c / events]),
      ),
      statementsPerBatch: statements / (events / 100),
    },
    // `step_rollups` of the one route and step, with its primary-key index.
    stepCompaction: {
      bytesBefore: stepBytes(fileTables),
      bytesAfter: compacted ? stepBytes(compacted.tables) : null,
      payloadBytesBefore: measured ? stepBytes(measured.payload) : null,
      payloadBytesAfter: compacted ? stepBytes(compacted.payload) : null,
      freeBytesBefore: measured?.free ?? null,
      freeBytesAfter: compacted?.free ?? null,
      rowsCompacted: compaction.rows,
      cronRuns: compaction.runs,
      statements: compaction.statements,
      rowsWritten: compaction.rowsWritten,
    },
    r2: {
      bytesPerEvent: r2Bytes / (sample * 100),
      bytesPerMillionEvents: Math.round((r2Bytes / (sample * 100)) * 1e6),
      objectsPerMillionEvents: Math.round((r2Objects / (sample * 100)) * 1e6),
    },
  };
}
