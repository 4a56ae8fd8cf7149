/**
 * Pure mapping from a validated outcome event to what the consumer writes:
 * its `outcomes` row and its rollup increment (`contracts/rollup.ts`), built
 * once and passed on as they are: the store inserts the rows (one JSON
 * parameter per chunk, `rowsJsonChunks`) and `aggregate.ts` sums the
 * increments in the same transaction.
 */
import type { outcomes } from "../../contracts/db/schema";
import type { OutcomeEvent } from "../../contracts/outcome";
import { unitGroup } from "../../contracts/assignment";
import { rollupIncrement, type RollupIncrement } from "../../contracts/rollup";

/** An `outcomes` row as the consumer builds it; the store adds the batch tag. */
export type OutcomeRow = Omit<typeof outcomes.$inferSelect, "ingestBatch" | "ingestedAt">;

/** One event as the consumer writes it: its row and what it adds to the rollups. */
export interface IngestRow {
  row: OutcomeRow;
  increment: RollupIncrement;
}

/**
 * The row and increment of an event; the row stores the increment's metric
 * triples. An event from an edge older than the `unit` field counts as a
 * unit of its own (the group of its request id).
 */
export function toIngestRow(e: OutcomeEvent): IngestRow {
  const increment = rollupIncrement({ ...e, unit: e.unit ?? unitGroup(e.requestId) });
  return { row: toOutcomeRow(e, increment), increment };
}

/** The `outcomes` row for an event (without `ingest_batch` / `ingested_at`). */
export function toOutcomeRow(e: OutcomeEvent, inc = rollupIncrement(e)): OutcomeRow {
  return {
    requestId: e.requestId,
    ts: e.ts,
    minute: inc.minute,
    routeId: e.routeId,
    rolloutId: e.rolloutId ?? "",
    releaseId: e.releaseId,
    variant: e.variant,
    configVersion: e.configVersion,
    step: e.step,
    weight: e.weight,
    sampleRate: e.sampleRate,
    segment: e.segment,
    country: e.country,
    continent: e.continent,
    region: e.region,
    colo: e.colo,
    cohort: e.cohort,
    requestClass: e.requestClass,
    keyed: e.keyed,
    unit: inc.unit,
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
    metrics: JSON.stringify(inc.triples),
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
