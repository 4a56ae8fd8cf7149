/**
 * Pure mapping from a validated outcome event to its `outcomes` row, and the
 * rollup dimensions every row counts in. The store expands these rows in SQL
 * (one JSON parameter per chunk) and derives the rollups from the stored rows,
 * so everything here is the single definition of what gets written.
 */
import type { outcomes } from "../../contracts/db/schema";
import { SKETCHED_METRICS, type OutcomeEvent } from "../../contracts/outcome";
import { binIndex } from "../../contracts/sketch";
import { rollupMinute } from "../../contracts/minute";

/** An `outcomes` row as the consumer builds it; the store adds the batch tag. */
export type OutcomeRow = Omit<typeof outcomes.$inferSelect, "ingestBatch" | "ingestedAt">;

/** `[metric, value, bin]`: bin is the sketch bin for sketched metrics, else null. */
export type MetricTriple = [metric: string, value: number, bin: number | null];

const SKETCHED: ReadonlySet<string> = new Set(SKETCHED_METRICS);

/**
 * The metric triples stored in `outcomes.metrics`, sorted by name.
 *
 * @example
 * metricTriples({ requests: 1, latency_ms: 120 });
 * // [["latency_ms", 120, binIndex(120)], ["requests", 1, null]]
 */
export function metricTriples(metrics: Readonly<Record<string, number>>): MetricTriple[] {
  return Object.entries(metrics)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => [name, value, SKETCHED.has(name) ? binIndex(value) : null]);
}

/** The rollup minute of an epoch-millisecond timestamp (`contracts/minute.ts`). */
export const minuteOf = rollupMinute;

/** The `outcomes` row for an event (without `ingest_batch` / `ingested_at`). */
export function toOutcomeRow(e: OutcomeEvent): OutcomeRow {
  return {
    requestId: e.requestId,
    ts: e.ts,
    minute: minuteOf(e.ts),
    routeId: e.routeId,
    rolloutId: e.rolloutId ?? "",
    releaseId: e.releaseId,
    variant: e.variant,
    configVersion: e.configVersion,
    step: e.step,
    weight: e.weight,
    segment: e.segment,
    country: e.country,
    continent: e.continent,
    region: e.region,
    colo: e.colo,
    cohort: e.cohort,
    requestClass: e.requestClass,
    keyed: e.keyed,
    path: e.path,
    model: e.model,
    stream: e.stream,
    status: e.status,
    errorClass: e.errorClass,
    latencyMs: e.latencyMs,
    ttfbMs: e.ttfbMs,
    ttftMs: e.ttftMs,
    inputTokens: e.inputTokens,
    outputTokens: e.outputTokens,
    tokensPerSec: e.tokensPerSec,
    finishReason: e.finishReason,
    streamCompleted: e.streamCompleted,
    failover: e.failover,
    promptHash: e.promptHash,
    promptChars: e.promptChars,
    completionChars: e.completionChars,
    metrics: JSON.stringify(metricTriples(e.metrics)),
  };
}

/**
 * Rows as JSON array texts of at most `maxBytes` each (a single larger row
 * gets a chunk of its own), so that each chunk fits one bound parameter.
 */
export function rowsJsonChunks(rows: readonly unknown[], maxBytes: number): string[] {
  const encoder = new TextEncoder();
  const chunks: string[] = [];
  let parts: string[] = [];
  let bytes = 2; // the brackets
  for (const row of rows) {
    const text = JSON.stringify(row);
    const size = encoder.encode(text).length + 1; // and a comma
    if (parts.length > 0 && bytes + size > maxBytes) {
      chunks.push(`[${parts.join(",")}]`);
      parts = [];
      bytes = 2;
    }
    parts.push(text);
    bytes += size;
  }
  if (parts.length > 0) chunks.push(`[${parts.join(",")}]`);
  return chunks;
}
