/**
 * D1 access of the evaluation path: budget slots, which evaluations a request
 * already has, and the batch write (samples, evaluation rows and their
 * rollups in one transaction). Store functions take the drizzle client; they
 * never read `env`.
 */
import { getTableColumns, inArray, sql, type SQL } from "drizzle-orm";
import { evalBudget, evalSamples, evaluations } from "../../contracts/db/schema";
import type { RollupDim } from "../../contracts/dims";
import { budgetMinute } from "./budget";
import { addQualityRollups, type Db } from "./rollup";
import type { EvaluationRow, SampleRow } from "./rows";

/**
 * Takes one slot of a per-minute budget atomically; false when `max` slots
 * of this minute are taken (the upsert's WHERE refuses and returns no row).
 */
export async function takeBudgetSlot(
  db: Db,
  key: string,
  max: number,
  now: number,
): Promise<boolean> {
  const rows = await db
    .insert(evalBudget)
    .values({ key, minute: budgetMinute(now), used: 1 })
    .onConflictDoUpdate({
      target: [evalBudget.key, evalBudget.minute],
      set: { used: sql`${evalBudget.used} + 1` },
      setWhere: sql`${evalBudget.used} < ${max}`,
    })
    .returning({ used: evalBudget.used });
  return rows.length > 0;
}

/** `requestId\u0000evaluator` of every evaluation already stored for these requests. */
export async function doneEvaluations(db: Db, requestIds: readonly string[]): Promise<Set<string>> {
  if (requestIds.length === 0) return new Set();
  const rows = await db
    .selectDistinct({ requestId: evaluations.requestId, evaluator: evaluations.evaluator })
    .from(evaluations)
    .where(inArray(evaluations.requestId, [...requestIds]));
  return new Set(rows.map((r) => doneKey(r.requestId, r.evaluator)));
}

export function doneKey(requestId: string, evaluator: string): string {
  return `${requestId}\u0000${evaluator}`;
}

/**
 * Writes samples and evaluation rows, and adds the newly inserted rows to the
 * rollups (per minute under `minuteDims`), in one transaction. Throws when D1
 * fails (nothing is written then).
 */
export async function writeEvaluations(
  db: Db,
  samples: readonly SampleRow[],
  rows: readonly EvaluationRow[],
  batch: { id: string; at: number },
  minuteDims?: readonly RollupDim[],
): Promise<void> {
  const statements = samples.map((s) => db.insert(evalSamples).values(s).onConflictDoNothing());
  const writes = [
    ...statements,
    ...(rows.length > 0
      ? [
          insertEvaluations(db, JSON.stringify(rows), batch),
          ...addQualityRollups(
            db,
            {
              table: evaluations,
              batchColumn: evaluations.evalBatch,
              batchId: batch.id,
              metric: sql`metric`,
              value: sql`value`,
            },
            minuteDims,
          ),
        ]
      : []),
  ];
  const [first, ...rest] = writes;
  if (first === undefined) return;
  await db.batch([first, ...rest]);
}

/** Rows travel as one JSON parameter (D1 allows 100 bound parameters per statement). */
function insertEvaluations(db: Db, json: string, batch: { id: string; at: number }) {
  const keys = Object.keys(getTableColumns(evaluations)) as Array<
    keyof typeof evaluations.$inferSelect
  >;
  const exprs = keys.map((k): SQL => {
    if (k === "evalBatch") return sql`${batch.id}`;
    if (k === "createdAt") return sql`${batch.at}`;
    // Keys are the schema's property names, so the JSON path is a safe literal.
    return sql.raw(`json_extract(e.value, '$.${k}')`);
  });
  return db
    .insert(evaluations)
    .select(sql`SELECT ${sql.join(exprs, sql`, `)} FROM json_each(${json}) AS e WHERE true`)
    .onConflictDoNothing();
}
