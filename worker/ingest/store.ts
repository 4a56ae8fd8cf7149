/**
 * D1 writes of the ingest path. One queue batch is one `db.batch()`, which D1
 * runs as a single transaction:
 *
 * 1. insert the events' keys into the ledger `ingest_keys` (hour of `ts`,
 *    64-bit hash of the request id; `keys.ts`), skipping keys already there
 *    (redeliveries);
 * 2. check that the insert stored every key: a row in `ingest_guards` whose
 *    CHECK fails, aborting the transaction, when `changes()` of the insert
 *    differs from the number of keys (the row is deleted again);
 * 3. insert the raw rows into `outcomes` (unless raw rows are off), tagged
 *    with the batch;
 * 4. add the consumer's increments (`aggregate.ts`) to `rollup_metrics`,
 *    `rollup_bins` (the dimensions `minuteDims` keeps) and `step_rollups`
 *    (every dimension).
 *
 * The first attempt assumes every event is new, which is what a queue mostly
 * delivers. When the check fails (a redelivery), the keys already stored are
 * read and the rest written again the same way. A redelivered event
 * therefore adds to no aggregate, a failed batch leaves nothing behind, and a
 * concurrent consumer storing the same key in between is caught by the
 * check. The ledger is pruned after the ingest window, and the consumer
 * refuses events older than it (`consume.ts`), so it stays bounded by the
 * logged rate, not by history. Rows, keys and increments travel as one JSON
 * text parameter per statement (expanded with `json_each`), because D1
 * allows only 100 bound parameters per statement. See
 * docs/idempotent-ingest.md.
 *
 * Every statement is an `insert(...).select(sql)` built by drizzle: raw
 * `db.run(sql)` items with parameters break inside `db.batch()` on D1
 * (drizzle-orm issue #2277).
 */
import { getTableColumns, sql, type SQL } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { getTableConfig, type SQLiteTable } from "drizzle-orm/sqlite-core";
import {
  deadLetters,
  ingestGuards,
  ingestKeys,
  outcomes,
  rollupBins,
  rollupMetrics,
  stepRollups,
} from "../../contracts/db/schema";
import type { RollupDim } from "../../contracts/dims";
import { rollupIncrements, type Increments } from "./aggregate";
import type { DeadLetterRow } from "./dead-letter";
import { keysJson, ledgerKey, type LedgerKey } from "./keys";
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
/** Ledger keys per statement: about 30 bytes of JSON each, far below MAX_PARAM_BYTES. */
const KEYS_PER_STATEMENT = 10_000;

export interface WriteOptions {
  /** Insert the raw `outcomes` rows too (off: keys and rollups only; R2 keeps the events). */
  rawRows: boolean;
  /**
   * The dimensions with per-minute rows (`MINUTE_ROLLUP_DIMS`, contracts/storage.ts);
   * default every one. The step rollups keep every dimension.
   */
  minuteDims?: readonly RollupDim[];
}

/**
 * Writes rows and their rollups atomically, each request id at most once
 * within the ingest window. Throws if D1 fails, in which case nothing was
 * written.
 *
 * @example
 * await writeOutcomes(drizzle(env.DB), events.map(toIngestRow), { id: crypto.randomUUID(), at: Date.now() });
 */
export async function writeOutcomes(
  db: Db,
  rows: readonly IngestRow[],
  batch: IngestBatch,
  options: WriteOptions = { rawRows: true },
): Promise<WriteResult> {
  const distinct = [...new Map(rows.map((r) => [r.row.requestId, r])).values()];
  if (distinct.length === 0) return { written: 0, duplicates: rows.length };
  const keyed = await Promise.all(
    distinct.map(async (r) => ({ r, key: await ledgerKey(r.row.requestId, r.row.ts) })),
  );
  try {
    await writeNew(db, keyed, batch, options);
    return { written: distinct.length, duplicates: rows.length - distinct.length };
  } catch {
    // Some key was stored already (or D1 failed: then this fails too).
    const stored = await storedKeys(db, keyed);
    const fresh = keyed.filter((_, i) => !stored.has(i));
    if (fresh.length > 0) await writeNew(db, fresh, batch, options);
    return { written: fresh.length, duplicates: rows.length - fresh.length };
  }
}

interface Keyed {
  r: IngestRow;
  key: LedgerKey;
}

function keyChunks(rows: readonly Keyed[]): string[] {
  const chunks: string[] = [];
  for (let i = 0; i < rows.length; i += KEYS_PER_STATEMENT)
    chunks.push(keysJson(rows.slice(i, i + KEYS_PER_STATEMENT).map((k) => k.key)));
  return chunks;
}

/** Positions (in `rows`) of the keys the ledger holds already. */
async function storedKeys(db: Db, rows: readonly Keyed[]): Promise<Set<number>> {
  const found = new Set<number>();
  for (const [c, json] of keyChunks(rows).entries()) {
    // The array index comes back, not the key: a 64-bit integer does not survive a JS number.
    const hits = await db
      .select({ i: sql<number>`e.key` })
      .from(sql`json_each(${json}) AS e`)
      .innerJoin(
        ingestKeys,
        sql`${ingestKeys.hour} = json_extract(e.value, '$[0]') AND ${ingestKeys.key} = json_extract(e.value, '$[1]')`,
      );
    for (const h of hits) found.add(c * KEYS_PER_STATEMENT + Number(h.i));
  }
  return found;
}

/** One transaction; fails as a whole unless every key was new. */
async function writeNew(
  db: Db,
  keyed: readonly Keyed[],
  batch: IngestBatch,
  options: WriteOptions,
): Promise<void> {
  const rows = keyed.map((k) => k.r);
  const inc = rollupIncrements(rows, options.minuteDims);
  const ledger = keyChunks(keyed).flatMap((json, c) => {
    const n = Math.min(KEYS_PER_STATEMENT, keyed.length - c * KEYS_PER_STATEMENT);
    return [
      db
        .insert(ingestKeys)
        .select(
          sql`SELECT json_extract(e.value, '$[0]'), json_extract(e.value, '$[1]') FROM json_each(${json}) AS e WHERE true`,
        )
        .onConflictDoNothing(),
      // changes(): the keys the statement just before stored (conflicts store none).
      db.insert(ingestGuards).select(sql`SELECT ${`${batch.id}#${c}`}, ${n}, changes()`),
    ];
  });
  const outcomeRows: OutcomeRow[] = options.rawRows ? rows.map((r) => r.row) : [];
  const raw = rowsJsonChunks(outcomeRows, MAX_PARAM_BYTES).map((json) =>
    insertOutcomes(db, json, batch),
  );
  const [first, ...rest] = ledger;
  if (first === undefined) return;
  await db.batch([
    first,
    ...rest,
    db.delete(ingestGuards).where(sql`${ingestGuards.batch} LIKE ${`${batch.id}#%`}`),
    ...raw,
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
export function mergeGroups(): SQL {
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
