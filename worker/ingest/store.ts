/**
 * D1 writes of the ingest path. One queue batch is one `db.batch()`, which D1
 * runs as a single transaction:
 *
 * 1. insert the rows into `outcomes` tagged with a fresh `ingest_batch`,
 *    skipping request ids already stored (redeliveries);
 * 2. check that the insert stored every row the consumer aggregated: a row in
 *    `ingest_guards` whose CHECK fails, aborting the transaction, when the
 *    count of rows tagged with this batch differs (the row is deleted again);
 * 3. add the consumer's increments (`aggregate.ts`) to `rollup_metrics`,
 *    `rollup_bins` and `step_rollups`.
 *
 * The first attempt assumes every row is new, which is what a queue mostly
 * delivers. When the check fails (a redelivery), the request ids already
 * stored are read and the rest written again the same way. A redelivered event
 * therefore adds to no aggregate, a failed batch leaves nothing behind, and a
 * concurrent consumer storing the same request id in between is caught by the
 * check. Rows and increments travel as one JSON text parameter per statement
 * (expanded with `json_each`), because D1 allows only 100 bound parameters per
 * statement. See docs/idempotent-ingest.md.
 *
 * Every statement is an `insert(...).select(sql)` built by drizzle: raw
 * `db.run(sql)` items with parameters break inside `db.batch()` on D1
 * (drizzle-orm issue #2277).
 */
import { eq, getTableColumns, sql, type SQL } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { getTableConfig, type SQLiteTable } from "drizzle-orm/sqlite-core";
import {
  deadLetters,
  ingestGuards,
  outcomes,
  rollupBins,
  rollupMetrics,
  stepRollups,
} from "../../contracts/db/schema";
import { rollupIncrements, type Increments } from "./aggregate";
import type { DeadLetterRow } from "./dead-letter";
import { rowsJsonChunks, type IngestRow, type OutcomeRow } from "./rows";

export type Db = DrizzleD1Database;

/** The tag of one ingest batch: a fresh id and the time of the write. */
export interface IngestBatch {
  id: string;
  at: number;
}

/** What a write stored: new rows, and rows skipped as already stored. */
export interface WriteResult {
  written: number;
  duplicates: number;
}

/** Bytes of row JSON per bound parameter; D1 caps a string value at 2 MB. */
const MAX_PARAM_BYTES = 1_000_000;

/**
 * Writes rows and their rollups atomically, each request id at most once ever.
 * Throws if D1 fails, in which case nothing was written.
 *
 * @example
 * await writeOutcomes(drizzle(env.DB), events.map(toIngestRow), { id: crypto.randomUUID(), at: Date.now() });
 */
export async function writeOutcomes(
  db: Db,
  rows: readonly IngestRow[],
  batch: IngestBatch,
): Promise<WriteResult> {
  const distinct = [...new Map(rows.map((r) => [r.row.requestId, r])).values()];
  if (distinct.length === 0) return { written: 0, duplicates: rows.length };
  try {
    await writeNew(db, distinct, batch);
    return { written: distinct.length, duplicates: rows.length - distinct.length };
  } catch {
    // Some request id was stored already (or D1 failed: then this fails too).
    const stored = await storedRequestIds(db, distinct);
    const fresh = distinct.filter((r) => !stored.has(r.row.requestId));
    if (fresh.length > 0) await writeNew(db, fresh, batch);
    return { written: fresh.length, duplicates: rows.length - fresh.length };
  }
}

const requestIds = (rows: readonly IngestRow[]) => JSON.stringify(rows.map((r) => r.row.requestId));

async function storedRequestIds(db: Db, rows: readonly IngestRow[]): Promise<Set<string>> {
  const ids = requestIds(rows);
  const found = await db
    .select({ id: outcomes.requestId })
    .from(outcomes)
    .where(sql`${outcomes.requestId} IN (SELECT value FROM json_each(${ids}))`);
  return new Set(found.map((f) => f.id));
}

/** One transaction; fails as a whole unless every row was new. */
async function writeNew(db: Db, rows: readonly IngestRow[], batch: IngestBatch): Promise<void> {
  const inc = rollupIncrements(rows);
  const outcomeRows: OutcomeRow[] = rows.map((r) => r.row);
  const [first, ...rest] = rowsJsonChunks(outcomeRows, MAX_PARAM_BYTES).map((json) =>
    insertOutcomes(db, json, batch),
  );
  if (first === undefined) return;
  await db.batch([
    first,
    ...rest,
    // Counted through the primary key: no index on the batch tag to maintain.
    db.insert(ingestGuards).select(
      sql`SELECT ${batch.id}, ${rows.length}, count(*) FROM ${outcomes}
          WHERE ${outcomes.requestId} IN (SELECT value FROM json_each(${requestIds(rows)}))
          AND ${outcomes.ingestBatch} = ${batch.id}`,
    ),
    db.delete(ingestGuards).where(eq(ingestGuards.batch, batch.id)),
    ...incrementStatements(db, inc),
  ]);
}

/**
 * The upserts adding increments to the rollup tables. Only ever run in the
 * transaction that stores the rows they count.
 */
export function incrementStatements(db: Db, inc: Increments) {
  return [
    ...upserts(db, rollupMetrics, inc.minuteSums, addSums(rollupMetrics)),
    ...upserts(db, rollupBins, inc.minuteBins, {
      count: sql`${rollupBins.count} + ${excluded(rollupBins.count.name)}`,
    }),
    ...upserts(db, stepRollups, inc.steps, {
      ...addSums(stepRollups),
      bins: mergeBins(stepRollups.bins.name),
      groups: mergeGroups(),
      groupBins: mergeBins(stepRollups.groupBins.name, { incomplete: "null" }),
    }),
  ];
}

/** Stores dead letters in one transaction; a message id already stored is kept as is. */
export async function writeDeadLetters(db: Db, letters: readonly DeadLetterRow[]): Promise<void> {
  // One statement per letter: bodies may be up to 64 KiB each.
  const [first, ...rest] = letters.map((l) =>
    db.insert(deadLetters).values(l).onConflictDoNothing(),
  );
  if (first === undefined) return;
  await db.batch([first, ...rest]);
}

type Exprs<T extends SQLiteTable> = Record<keyof T["$inferSelect"], SQL>;

/** A select list in the table's column order, which `insert().select()` requires. */
function selectList<T extends SQLiteTable>(table: T, exprs: Exprs<T>): SQL {
  const keys = Object.keys(getTableColumns(table)) as Array<keyof Exprs<T>>;
  return sql.join(
    keys.map((k) => exprs[k]),
    sql`, `,
  );
}

function insertOutcomes(db: Db, json: string, batch: IngestBatch) {
  const exprs = Object.fromEntries(
    // Keys are the schema's property names, so the JSON path is a safe literal.
    Object.keys(getTableColumns(outcomes)).map((k) => [
      k,
      sql.raw(`json_extract(e.value, '$.${k}')`),
    ]),
  ) as Exprs<typeof outcomes>;
  exprs.ingestBatch = sql`${batch.id}`;
  exprs.ingestedAt = sql`${batch.at}`;
  // `WHERE true` keeps SQLite from reading ON CONFLICT as a join constraint.
  return db
    .insert(outcomes)
    .select(sql`SELECT ${selectList(outcomes, exprs)} FROM json_each(${json}) AS e WHERE true`)
    .onConflictDoNothing({ target: outcomes.requestId });
}

const excluded = (name: string) => sql.raw(`excluded."${name}"`);

function addSums(t: typeof rollupMetrics | typeof stepRollups) {
  return {
    n: sql`${t.n} + ${excluded(t.n.name)}`,
    sum: sql`${t.sum} + ${excluded(t.sum.name)}`,
    sumSq: sql`${t.sumSq} + ${excluded(t.sumSq.name)}`,
  };
}

/**
 * Adds two sets of counts stored as `{"<key>": count}` JSON objects, key by
 * key: sketches (a few hundred bins at most, one per 2% of value range) and
 * per-group coarse bins (a few hundred keys). With `incomplete: "null"`, a
 * missing side makes the result null (group counts are all or nothing).
 */
function mergeBins(column: string, options: { incomplete?: "keep" | "null" } = {}): SQL {
  const cur = sql.raw(`"${column}"`);
  const inc = excluded(column);
  const missing =
    options.incomplete === "null"
      ? sql`WHEN ${inc} IS NULL OR ${cur} IS NULL THEN NULL`
      : sql`WHEN ${inc} IS NULL THEN ${cur} WHEN ${cur} IS NULL THEN ${inc}`;
  // Patch only the increment's keys (a few dozen), each to its sum with the
  // stored count, instead of regrouping the whole stored object.
  return sql`CASE ${missing} ELSE json_patch(${cur}, (
    SELECT json_group_object(i.key, i.value + coalesce(json_extract(${cur}, '$."' || i.key || '"'), 0))
    FROM json_each(${inc}) AS i
  )) END`;
}

/**
 * Adds two unit-group sums stored as `{"<group>": [n, sum]}` JSON objects,
 * group by group. A stored row without groups stays without: once any sample
 * of a row lacked a unit its groups are incomplete, and the analyzer then
 * falls back to the independent-request variance.
 */
function mergeGroups(): SQL {
  const cur = sql.raw(`"${stepRollups.groups.name}"`);
  const inc = excluded(stepRollups.groups.name);
  // Element k of the increment's group plus element k of the stored one.
  const at = (k: "0" | "1") =>
    sql`json_extract(i.value, '$[${sql.raw(k)}]') + coalesce(json_extract(${cur}, '$."' || i.key || '"[${sql.raw(k)}]'), 0)`;
  return sql`CASE WHEN ${inc} IS NULL OR ${cur} IS NULL THEN NULL ELSE json_patch(${cur}, (
    SELECT json_group_object(i.key, json_array(${at("0")}, ${at("1")}))
    FROM json_each(${inc}) AS i
  )) END`;
}

/**
 * `INSERT ... SELECT ... FROM json_each(?) ON CONFLICT (primary key) DO UPDATE`
 * statements adding `values` to a table, one per chunk of at most
 * MAX_PARAM_BYTES of JSON. Values travel as arrays in the table's column order.
 */
function upserts<T extends SQLiteTable>(
  db: Db,
  table: T,
  values: ReadonlyArray<T["$inferInsert"]>,
  set: Partial<Record<keyof T["$inferSelect"], SQL>>,
) {
  const keys = Object.keys(getTableColumns(table)) as Array<keyof T["$inferInsert"]>;
  const tuples = values.map((v) => keys.map((k) => v[k] ?? null));
  const select = sql.raw(keys.map((_, i) => `json_extract(e.value, '$[${i}]')`).join(", "));
  const target = getTableConfig(table).primaryKeys[0]?.columns ?? [];
  return rowsJsonChunks(tuples, MAX_PARAM_BYTES).map((json) =>
    db
      .insert(table)
      .select(sql`SELECT ${select} FROM json_each(${json}) AS e WHERE true`)
      .onConflictDoUpdate({ target, set }),
  );
}
