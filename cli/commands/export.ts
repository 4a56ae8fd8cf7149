/**
 * `export`: outcome events from D1 as JSONL (one `OutcomeEvent` per line, the
 * same shape the edge sends; see README "Outcome event fields"). Reads local
 * D1 (`--local`, with `--persist-to` for `npm start`'s `.state`) or the
 * deployed database (`--remote`) through wrangler, in pages keyed by
 * (ts, request_id) so a large export never holds the table in memory.
 */
import { execFile } from "node:child_process";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { OutcomeEvent } from "../../contracts/outcome";
import { CliError, progress } from "../output";

const run = promisify(execFile);
const PAGE = 2000;

export interface ExportOptions {
  out?: string;
  remote: boolean;
  persistTo?: string;
  database: string;
  routeId?: string;
  since?: number;
  until?: number;
  root: string;
}

type Row = Record<string, unknown>;

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;
const bool = (v: unknown) => (v === null || v === undefined ? null : Number(v) === 1);
const numOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** A D1 row back to the event the edge sent. Pure. */
export function rowToEvent(r: Row): OutcomeEvent {
  const triples = JSON.parse(String(r.metrics)) as Array<[string, number, number | null]>;
  return {
    v: 1,
    requestId: String(r.request_id),
    ts: Number(r.ts),
    routeId: String(r.route_id),
    releaseId: String(r.release_id),
    variant: r.variant === "canary" ? "canary" : "stable",
    rolloutId: r.rollout_id ? String(r.rollout_id) : null,
    configVersion: Number(r.config_version),
    step: Number(r.step ?? 0),
    weight: Number(r.weight),
    segment: (r.segment as string | null) ?? null,
    country: (r.country as string | null) ?? null,
    continent: (r.continent as string | null) ?? null,
    region: (r.region as string | null) ?? null,
    colo: (r.colo as string | null) ?? null,
    cohort: (r.cohort as string | null) ?? null,
    requestClass: (r.request_class as string | null) ?? null,
    keyed: bool(r.keyed) ?? false,
    path: String(r.path),
    model: String(r.model),
    stream: bool(r.stream) ?? false,
    status: Number(r.status),
    errorClass: (r.error_class as OutcomeEvent["errorClass"]) ?? null,
    latencyMs: Number(r.latency_ms),
    ttfbMs: numOrNull(r.ttfb_ms),
    ttftMs: numOrNull(r.ttft_ms),
    inputTokens: numOrNull(r.input_tokens),
    outputTokens: numOrNull(r.output_tokens),
    tokensPerSec: numOrNull(r.tokens_per_sec),
    finishReason: (r.finish_reason as string | null) ?? null,
    streamCompleted: bool(r.stream_completed),
    failover: bool(r.failover) ?? false,
    promptHash: (r.prompt_hash as string | null) ?? null,
    promptChars: Number(r.prompt_chars),
    completionChars: Number(r.completion_chars),
    metrics: Object.fromEntries(triples.map(([name, value]) => [name, value])),
  };
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

export async function exportOutcomes(o: ExportOptions): Promise<number> {
  const filters = [
    o.routeId ? `route_id = ${sqlString(o.routeId)}` : null,
    o.since !== undefined ? `ts >= ${Math.floor(o.since)}` : null,
    o.until !== undefined ? `ts < ${Math.floor(o.until)}` : null,
  ].filter((f): f is string => f !== null);
  const base = filters.length > 0 ? filters.join(" AND ") : "1 = 1";
  const total = Number(
    (await query(o, `SELECT count(*) AS n FROM outcomes WHERE ${base}`))[0]?.n ?? 0,
  );
  const out = o.out ? createWriteStream(o.out) : process.stdout;
  const bar = progress("exporting", total);
  let written = 0;
  let cursor: { ts: number; id: string } | null = null;
  for (;;) {
    const after: string = cursor
      ? ` AND (ts > ${cursor.ts} OR (ts = ${cursor.ts} AND request_id > ${sqlString(cursor.id)}))`
      : "";
    const rows = await query(
      o,
      `SELECT * FROM outcomes WHERE ${base}${after} ORDER BY ts, request_id LIMIT ${PAGE}`,
    );
    for (const r of rows) out.write(`${JSON.stringify(rowToEvent(r))}\n`);
    written += rows.length;
    bar.update(written);
    if (rows.length < PAGE) break;
    const last = rows[rows.length - 1]!;
    cursor = { ts: Number(last.ts), id: String(last.request_id) };
  }
  bar.done();
  if (o.out)
    await new Promise<void>((resolve) =>
      (out as ReturnType<typeof createWriteStream>).end(resolve),
    );
  process.stderr.write(`exported ${written} outcome events${o.out ? ` to ${o.out}` : ""}\n`);
  return 0;
}
