/**
 * Adds quality observations to `rollup_metrics` and `step_rollups` from the rows one batch
 * inserted into a quality table (`evaluations` or `feedback`), in the same
 * transaction as the insert: the technique of docs/idempotent-ingest.md. A row
 * that already existed was not inserted, carries no tag of this batch and so
 * adds nothing; a redelivered job never counts twice.
 *
 * Both tables share the rollup key columns (`qualityKey` in the schema) and
 * count under every dimension of `ROLLUP_DIMS`, like outcomes do: per step
 * under all of them, per minute under those `MINUTE_ROLLUP_DIMS` keeps.
 */
import { getTableColumns, sql, type SQL } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { getTableConfig, type SQLiteColumn, type SQLiteTable } from "drizzle-orm/sqlite-core";
import { rollupMetrics, stepRollups } from "../../contracts/db/schema";
import { ROLLUP_DIMS, type RollupDim } from "../../contracts/dims";
import { mergeGroups } from "../ingest/store";

export type Db = DrizzleD1Database;

/** Where one batch's observations come from. */
export interface QualitySource {
  table: SQLiteTable;
  /** The column holding the batch tag. */
  batchColumn: SQLiteColumn;
  batchId: string;
  /** The metric name of each row (a column or a constant). */
  metric: SQL;
  /** The observed value of each row. */
  value: SQL;
}

/** Column names of the dimension facts in quality tables (as in `outcomes`). */
const DIM_COLUMNS = {
  segment: "segment",
  country: "country",
  cohort: "cohort",
  requestClass: "request_class",
} as const;

/**
 * The `INSERT INTO rollup_metrics ... SELECT ... ON CONFLICT DO UPDATE` for one
 * batch under `all` and `minuteDims` (default every dimension), and the same
 * into `step_rollups` under every dimension for the rows routed during a
 * rollout step (sums only: quality metrics keep no sketch).
 *
 * @example
 * db.batch([insertRows, ...addQualityRollups(db, { table: evaluations,
 *   batchColumn: evaluations.evalBatch, batchId, metric: sql`metric`, value: sql`value` }, ["all"])]);
 */
export function addQualityRollups(
  db: Db,
  src: QualitySource,
  minuteDims: readonly RollupDim[] = ROLLUP_DIMS.map((d) => d.dim),
) {
  const perDim = ROLLUP_DIMS.map((d) => {
    const value =
      d.field === null
        ? sql`${d.fallback}`
        : sql`coalesce(${sql.identifier(DIM_COLUMNS[d.field])}, ${d.fallback})`;
    return sql`SELECT minute, step, route_id, rollout_id, release_id, variant, unit,
      ${src.metric} AS metric, ${src.value} AS value, ${d.dim} AS dim, ${value} AS dim_value
      FROM batch`;
  });
  const obs = sql`WITH batch AS (SELECT * FROM ${src.table} WHERE ${src.batchColumn} = ${src.batchId}),
        obs AS (${sql.join(perDim, sql` UNION ALL `)})`;
  // Per step, the sums per unit group first: the variance between groups
  // (analyzer/stats/clustered.ts) needs them, as it does for outcomes.
  const stepKey = sql`step, route_id, rollout_id, release_id, variant, metric, dim, dim_value`;
  const perUnit = sql`${obs}, units AS (SELECT ${stepKey}, unit, count(*) AS n, total(value) AS s,
        total(value * value) AS ss FROM obs WHERE step > 0 AND rollout_id != '' GROUP BY ${stepKey}, unit)`;
  const sums = {
    n: sql`count(*)`,
    sum: sql`total(value)`,
    sumSq: sql`total(value * value)`,
  };
  const key = {
    routeId: sql`route_id`,
    rolloutId: sql`rollout_id`,
    releaseId: sql`release_id`,
    variant: sql`variant`,
    dim: sql`dim`,
    dimValue: sql`dim_value`,
    metric: sql`metric`,
  };
  const perMinute = sql.join(
    [...new Set(["all", ...minuteDims])].map((d) => sql`${d}`),
    sql`, `,
  );
  return [
    upsert(
      db,
      rollupMetrics,
      obs,
      { ...key, minute: sql`minute`, ...sums },
      sql`dim IN (${perMinute})`,
    ),
    upsert(
      db,
      stepRollups,
      perUnit,
      {
        ...key,
        step: sql`step`,
        n: sql`sum(n)`,
        sum: sql`total(s)`,
        sumSq: sql`total(ss)`,
        bins: sql`NULL`,
        // All or nothing, as for outcomes: rows stored before the unit column have none.
        groups: sql`CASE WHEN count(unit) = count(*) THEN json_group_object(unit, json_array(n, s)) END`,
        groupBins: sql`NULL`,
      },
      sql`true`,
      { from: "units", groups: mergeGroups() },
    ),
  ] as const;
}

function upsert(
  db: Db,
  t: typeof rollupMetrics | typeof stepRollups,
  obs: SQL,
  exprs: Record<string, SQL>,
  where: SQL,
  options: { from?: string; groups?: SQL } = {},
) {
  // insert().select() needs the select list in the table's column order.
  const columns = Object.keys(getTableColumns(t));
  const select = sql.join(
    columns.map((k) => exprs[k]!),
    sql`, `,
  );
  const keys = getTableConfig(t).primaryKeys[0]?.columns ?? [];
  const group = sql.join(
    keys.map((c) => sql.identifier(c.name)),
    sql`, `,
  );
  const excluded = (name: string) => sql.raw(`excluded."${name}"`);
  return db
    .insert(t)
    .select(
      sql`${obs} SELECT ${select} FROM ${sql.raw(options.from ?? "obs")} WHERE ${where} GROUP BY ${group}`,
    )
    .onConflictDoUpdate({
      target: keys,
      set: {
        n: sql`${t.n} + ${excluded(t.n.name)}`,
        sum: sql`${t.sum} + ${excluded(t.sum.name)}`,
        sumSq: sql`${t.sumSq} + ${excluded(t.sumSq.name)}`,
        ...(options.groups ? { groups: options.groups } : {}),
      },
    });
}
