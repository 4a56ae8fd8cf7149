/**
 * `export`: outcome events from D1 as JSONL (one `OutcomeEvent` per line, the
 * same shape the edge sends; see README "Outcome event fields"), then the
 * stored evaluation scores and feedback of those requests as quality records
 * (contracts/export.ts), so `analyze` and `backtest` judge quality as the
 * cron does. Reads local D1 (`--local`, with `--persist-to` for `npm start`'s
 * `.state`) or the deployed database (`--remote`) through wrangler, page by
 * page (`cli/export-rows.ts` holds the SQL and the row conversions). With
 * `--from r2` the outcome events come from the R2 archive through the admin
 * API instead (`cli/export-archive.ts`), in the same shape and order; the
 * quality records still come from D1.
 */
import { execFile } from "node:child_process";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  EXPORT_PAGE,
  exportEvent,
  outcomeFilter,
  outcomePageSql,
  QUALITY_SOURCE_NAMES,
  qualityPageSql,
  rowToEvent,
  rowToQuality,
} from "../export-rows";
import type { AdminClient } from "../admin-client";
import { archivedEvents, mergeOrdered } from "../export-archive";
import { CliError, progress } from "../output";

const run = promisify(execFile);

type Row = Record<string, unknown>;

export interface ExportOptions {
  out?: string;
  remote: boolean;
  persistTo?: string;
  database: string;
  routeId?: string;
  since?: number;
  until?: number;
  root: string;
  /** Where the outcome events come from: D1 (default) or the R2 archive. */
  from: "d1" | "r2";
  /** `--from r2`: the admin API, and the routes of the config when no --route is given. */
  archive?: { api: AdminClient; routeIds: () => Promise<string[]> };
}

async function query(o: ExportOptions, sql: string): Promise<Row[]> {
  const where = o.remote
    ? ["--remote"]
    : ["--local", ...(o.persistTo ? ["--persist-to", o.persistTo] : [])];
  try {
    const { stdout } = await run(
      join(o.root, "node_modules", ".bin", "wrangler"),
      ["d1", "execute", o.database, ...where, "--json", "--command", sql],
      {
        cwd: o.root,
        maxBuffer: 256 * 1024 * 1024,
        env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
      },
    );
    const parsed = JSON.parse(stdout) as Array<{ results: Row[] }>;
    return parsed[0]?.results ?? [];
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new CliError(
      `reading D1 failed: ${(err.stderr || err.message).trim().split("\n").slice(-3).join(" ")}`,
      3,
    );
  }
}

type Out = NodeJS.WritableStream;

async function eventsFromD1(o: ExportOptions, out: Out): Promise<number> {
  const filter = { routeId: o.routeId, since: o.since, until: o.until };
  const total = Number(
    (await query(o, `SELECT count(*) AS n FROM outcomes WHERE ${outcomeFilter(filter)}`))[0]?.n ??
      0,
  );
  const bar = progress("exporting", total);
  let written = 0;
  let cursor: { ts: number; id: string } | null = null;
  for (;;) {
    const rows = await query(o, outcomePageSql(filter, cursor));
    for (const r of rows) out.write(`${JSON.stringify(exportEvent(rowToEvent(r)))}\n`);
    written += rows.length;
    bar.update(written);
    if (rows.length < EXPORT_PAGE) break;
    const last = rows[rows.length - 1]!;
    cursor = { ts: Number(last.ts), id: String(last.request_id) };
  }
  bar.done();
  return written;
}

async function eventsFromR2(o: ExportOptions, out: Out): Promise<number> {
  if (!o.archive) throw new CliError("--from r2 needs the admin API (--url, --token)", 2);
  const { api } = o.archive;
  const routeIds = o.routeId ? [o.routeId] : await o.archive.routeIds();
  const until = o.until ?? Date.now();
  const sources = routeIds.map((id) =>
    archivedEvents(api, id, o.since, until)[Symbol.asyncIterator](),
  );
  const bar = progress("exporting from r2", null);
  let written = 0;
  for await (const e of mergeOrdered(sources)) {
    out.write(`${JSON.stringify(exportEvent(e))}\n`);
    if (++written % 1000 === 0) bar.update(written);
  }
  bar.done();
  return written;
}

export async function exportOutcomes(o: ExportOptions): Promise<number> {
  const filter = { routeId: o.routeId, since: o.since, until: o.until };
  const out = o.out ? createWriteStream(o.out) : process.stdout;
  const written = o.from === "r2" ? await eventsFromR2(o, out) : await eventsFromD1(o, out);
  let quality = 0;
  for (const source of QUALITY_SOURCE_NAMES) {
    let after = 0;
    for (;;) {
      const rows = await query(o, qualityPageSql(filter, source, after));
      for (const r of rows) out.write(`${JSON.stringify(rowToQuality(r, source))}\n`);
      quality += rows.length;
      if (rows.length < EXPORT_PAGE) break;
      after = Number(rows[rows.length - 1]!.row_id);
    }
  }
  if (o.out)
    await new Promise<void>((resolve) =>
      (out as ReturnType<typeof createWriteStream>).end(resolve),
    );
  process.stderr.write(
    `exported ${written} outcome events and ${quality} quality records${o.out ? ` to ${o.out}` : ""}\n`,
  );
  return 0;
}
