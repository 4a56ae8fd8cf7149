/**
 * D1 writes of the ingest path. One queue batch is one `db.batch()`, which D1
 * runs as a single transaction:
 *
 * 1. insert the rows into `outcomes` tagged with a fresh `ingest_batch`,
 *    skipping request ids already stored (redeliveries);
 * 2. add to `rollup_metrics` and `rollup_bins` only what the rows tagged with
 *    this batch contribute.
 *
 * A redelivered event therefore inserts no row and adds to no aggregate, and a
 * failed batch leaves nothing behind. Rows travel as one JSON text parameter
 * per statement (expanded with `json_each`), because D1 allows only 100 bound
 * parameters per statement. See docs/idempotent-ingest.md.
 *
 * Every statement is an `insert(...).select(sql)` built by drizzle: raw
 * `db.run(sql)` items with parameters break inside `db.batch()` on D1
 * (drizzle-orm issue #2277).
 */
import { getTableColumns, sql, type SQL } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { getTableConfig, type SQLiteTable } from "drizzle-orm/sqlite-core";
import { deadLetters, outcomes, rollupBins, rollupMetrics } from "../../contracts/db/schema";
import type { DeadLetterRow } from "./dead-letter";
import { ROLLUP_DIMS } from "../../contracts/dims";
import { rowsJsonChunks, type OutcomeRow } from "./rows";

export type Db = DrizzleD1Database;

/** The tag of one ingest batch: a fresh id and the time of the write. */
export interface IngestBatch {
  id: string;
  at: number;
}

/** Bytes of row JSON per bound parameter; D1 caps a string value at 2 MB. */
const MAX_PARAM_BYTES = 1_000_000;

/**
 * Writes rows and their rollups atomically. Throws if D1 fails, in which case
 * nothing was written.
 *
 * @example
 * await writeOutcomes(drizzle(env.DB), rows, { id: crypto.randomUUID(), at: Date.now() });
 */
export async function writeOutcomes(
  db: Db,
  rows: readonly OutcomeRow[],
  batch: IngestBatch,
): Promise<void> {
  const [first, ...rest] = rowsJsonChunks(rows, MAX_PARAM_BYTES).map((json) =>
    insertOutcomes(db, json, batch),
  );
  if (first === undefined) return;
  await db.batch([first, ...rest, addRollupMetrics(db, batch.id), addRollupBins(db, batch.id)]);
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

/**
 * CTEs over the rows of one ingest batch: `obs` has one row per
 * (outcome, dimension, metric) with the metric's value and sketch bin.
 */
function batchObservations(batchId: string): SQL {
  const perDim = ROLLUP_DIMS.map((d) => {
    const value =
      d.field === null
        ? sql`${d.fallback}`
        : sql`coalesce(${sql.identifier(outcomes[d.field].name)}, ${d.fallback})`;
    return sql`SELECT minute, route_id, rollout_id, release_id, variant, metrics,
      ${d.dim} AS dim, ${value} AS dim_value FROM batch`;
  });
  return sql`WITH
    batch AS (SELECT * FROM ${outcomes} WHERE ingest_batch = ${batchId}),
    dims AS (${sql.join(perDim, sql` UNION ALL `)}),
    obs AS (
      SELECT d.minute, d.route_id, d.rollout_id, d.release_id, d.variant, d.dim, d.dim_value,
        json_extract(m.value, '$[0]') AS metric,
        json_extract(m.value, '$[1]') AS value,
        json_extract(m.value, '$[2]') AS bin
      FROM dims AS d, json_each(d.metrics) AS m
    )`;
}

const ROLLUP_KEY = {
  minute: sql`minute`,
  routeId: sql`route_id`,
  rolloutId: sql`rollout_id`,
  releaseId: sql`release_id`,
  variant: sql`variant`,
  dim: sql`dim`,
  dimValue: sql`dim_value`,
  metric: sql`metric`,
};
const ROLLUP_GROUP = sql.join(Object.values(ROLLUP_KEY), sql`, `);

const primaryKey = (table: SQLiteTable) => getTableConfig(table).primaryKeys[0]?.columns ?? [];
const excluded = (name: string) => sql.raw(`excluded."${name}"`);

function addRollupMetrics(db: Db, batchId: string) {
  const t = rollupMetrics;
  // total() is always REAL and never overflows, unlike sum() over integers.
  const select = selectList(t, {
    ...ROLLUP_KEY,
    n: sql`count(*)`,
    sum: sql`total(value)`,
    sumSq: sql`total(value * value)`,
  });
  return db
    .insert(t)
    .select(
      sql`${batchObservations(batchId)} SELECT ${select} FROM obs WHERE true GROUP BY ${ROLLUP_GROUP}`,
    )
    .onConflictDoUpdate({
      target: primaryKey(t),
      set: {
        n: sql`${t.n} + ${excluded(t.n.name)}`,
        sum: sql`${t.sum} + ${excluded(t.sum.name)}`,
        sumSq: sql`${t.sumSq} + ${excluded(t.sumSq.name)}`,
      },
    });
}

function addRollupBins(db: Db, batchId: string) {
  const t = rollupBins;
  const select = selectList(t, { ...ROLLUP_KEY, bin: sql`bin`, count: sql`count(*)` });
  return db
    .insert(t)
    .select(
      sql`${batchObservations(batchId)} SELECT ${select} FROM obs WHERE bin IS NOT NULL
        GROUP BY ${ROLLUP_GROUP}, bin`,
    )
    .onConflictDoUpdate({
      target: primaryKey(t),
      set: { count: sql`${t.count} + ${excluded(t.count.name)}` },
    });
}
