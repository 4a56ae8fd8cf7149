/**
 * What `llm-canary export` reads and writes, without I/O: the SQL of each
 * page (keyset-paged, so a large export never holds a table in memory) and
 * the conversion of D1 rows to export lines (contracts/export.ts). The
 * command runs the SQL through wrangler; the rollup parity test runs the
 * same SQL against D1 in workerd.
 */
import type { QualityRecord } from "../contracts/export";
import { unitGroup } from "../contracts/assignment";
import { OutcomeEventSchema, type OutcomeEvent } from "../contracts/outcome";
import { FEEDBACK_POSITIVE_SQL, QUALITY_METRICS } from "../contracts/quality";

export interface ExportFilter {
  routeId?: string;
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
}

export const EXPORT_PAGE = 2000;

type Row = Record<string, unknown>;

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;
const bool = (v: unknown) => (v === null || v === undefined ? null : Number(v) === 1);
const numOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** An `outcomes` row back to the event the edge sent. */
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
    sampleRate: Number(r.sample_rate ?? 1),
    segment: (r.segment as string | null) ?? null,
    country: (r.country as string | null) ?? null,
    continent: (r.continent as string | null) ?? null,
    region: (r.region as string | null) ?? null,
    colo: (r.colo as string | null) ?? null,
    cohort: (r.cohort as string | null) ?? null,
    requestClass: (r.request_class as string | null) ?? null,
    keyed: bool(r.keyed) ?? false,
    // The unit group the rollups counted the request in; rows older than it have none.
    ...(r.unit === null || r.unit === undefined ? {} : { unit: Number(r.unit) }),
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

/**
 * An event as the export writes it, whichever store it came from: the
 * schema's key order, metrics sorted by name (as `outcomes.metrics` stores
 * them), the unit group the ingest counted it in, and a rollout id of "" as
 * null (as D1 stores it). Pure.
 *
 * @example
 * JSON.stringify(exportEvent(archived)) === JSON.stringify(exportEvent(rowToEvent(row))); // true
 */
export function exportEvent(e: OutcomeEvent): OutcomeEvent {
  const metrics = Object.fromEntries(
    Object.entries(e.metrics).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return OutcomeEventSchema.parse({
    ...e,
    rolloutId: e.rolloutId === "" ? null : e.rolloutId,
    unit: e.unit ?? unitGroup(e.requestId),
    metrics,
  });
}

/** The WHERE clause of the outcome rows `f` selects. */
export function outcomeFilter(f: ExportFilter): string {
  const parts = [
    f.routeId ? `route_id = ${sqlString(f.routeId)}` : null,
    f.since !== undefined ? `ts >= ${Math.floor(f.since)}` : null,
    f.until !== undefined ? `ts < ${Math.floor(f.until)}` : null,
  ].filter((p): p is string => p !== null);
  return parts.length > 0 ? parts.join(" AND ") : "1 = 1";
}

/** One page of outcome rows after `cursor`, in (ts, request_id) order. */
export function outcomePageSql(f: ExportFilter, cursor: { ts: number; id: string } | null): string {
  const after = cursor
    ? ` AND (ts > ${cursor.ts} OR (ts = ${cursor.ts} AND request_id > ${sqlString(cursor.id)}))`
    : "";
  return `SELECT * FROM outcomes WHERE ${outcomeFilter(f)}${after} ORDER BY ts, request_id LIMIT ${EXPORT_PAGE}`;
}

/** The quality tables, each with its metric and value as the rollups count them. */
const QUALITY_SOURCES = {
  evaluation: { table: "evaluations", evaluator: "evaluator", metric: "metric", value: "value" },
  feedback: {
    table: "feedback",
    evaluator: "NULL",
    metric: sqlString(QUALITY_METRICS.feedbackPositive),
    value: FEEDBACK_POSITIVE_SQL,
  },
} as const;

export type QualitySource = keyof typeof QUALITY_SOURCES;
export const QUALITY_SOURCE_NAMES = Object.keys(QUALITY_SOURCES) as QualitySource[];

/**
 * One page of quality rows (evaluation scores or feedback) of the requests
 * `f` selects, after the row id `afterRowid`. Rows are keyed by the
 * request's minute, so `since`/`until` select whole minutes.
 */
export function qualityPageSql(f: ExportFilter, source: QualitySource, afterRowid: number): string {
  const q = QUALITY_SOURCES[source];
  const parts = [
    `rowid > ${Math.floor(afterRowid)}`,
    f.routeId ? `route_id = ${sqlString(f.routeId)}` : null,
    f.since !== undefined ? `minute >= ${Math.floor(f.since / 60_000)}` : null,
    f.until !== undefined ? `minute * 60000 < ${Math.floor(f.until)}` : null,
  ].filter((p): p is string => p !== null);
  return `SELECT rowid AS row_id, request_id, ${q.evaluator} AS evaluator, minute, step, route_id, rollout_id, release_id, variant, segment, country, cohort, request_class, unit, ${q.metric} AS metric, ${q.value} AS value FROM ${q.table} WHERE ${parts.join(" AND ")} ORDER BY rowid LIMIT ${EXPORT_PAGE}`;
}

const text = (v: unknown) => (v === null || v === undefined ? null : String(v));

/** A row of `qualityPageSql` as an export line. */
export function rowToQuality(r: Row, source: QualitySource): QualityRecord {
  const rolloutId = text(r.rollout_id);
  return {
    v: 1,
    kind: "quality",
    source,
    requestId: String(r.request_id),
    evaluator: text(r.evaluator),
    minute: Number(r.minute),
    step: Number(r.step ?? 0),
    routeId: String(r.route_id),
    // The tables store "" for requests outside a rollout.
    rolloutId: rolloutId === "" ? null : rolloutId,
    releaseId: String(r.release_id),
    variant: r.variant === "canary" ? "canary" : "stable",
    segment: text(r.segment),
    country: text(r.country),
    cohort: text(r.cohort),
    requestClass: text(r.request_class),
    metric: String(r.metric),
    value: Number(r.value),
    ...(r.unit === null || r.unit === undefined ? {} : { unit: Number(r.unit) }),
  };
}
