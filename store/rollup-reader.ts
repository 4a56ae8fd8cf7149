/**
 * The one reader of the per-minute rollup tables (`rollup_metrics`,
 * `rollup_bins`): grouped sums and grouped sketch-bin counts over a filter,
 * by the key columns a caller names, optionally in buckets of k minutes.
 * The admin API's window view (`analyzer/store/window-reader.ts`), the
 * dashboard series (`worker/dashboard/series.ts`) and `/metrics`
 * (`worker/metrics/snapshot.ts`) read through it. Two grouped queries; their
 * cost grows with the matching minutes, not with traffic.
 */
import { and, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { rollupBins, rollupMetrics } from "../contracts/db/schema";
import type { Db } from "./config-store";

/** Key columns both tables share that a read can group by. */
export type RollupColumn =
  "routeId" | "rolloutId" | "releaseId" | "variant" | "dim" | "dimValue" | "metric";

export type RollupTable = typeof rollupMetrics | typeof rollupBins;

type KeyValues<K extends RollupColumn> = { [P in K]: (typeof rollupMetrics.$inferSelect)[P] };

export type RollupSumRow<K extends RollupColumn> = KeyValues<K> & {
  /** `floor(minute / bucketMinutes)`; 0 without buckets. */
  bucket: number;
  n: number;
  sum: number;
  sumSq: number;
};

export type RollupBinRow<K extends RollupColumn> = KeyValues<K> & {
  bucket: number;
  bin: number;
  count: number;
};

export interface RollupRead<K extends RollupColumn> {
  /** The rows to read, on either table (the key columns have the same names). */
  where: (t: RollupTable) => SQL | undefined;
  groupBy: readonly K[];
  /** Group the minutes into buckets of this many minutes as well. */
  bucketMinutes?: number;
  /** Only these metrics' sums; null skips the sums query, undefined reads all. */
  sumMetrics?: (t: typeof rollupMetrics) => SQL | undefined | null;
  /** Only these metrics' bins; null skips the bins query, undefined reads all. */
  binMetrics?: (t: typeof rollupBins) => SQL | undefined | null;
}

function keyColumns(t: RollupTable, keys: readonly RollupColumn[]): Record<string, SQLiteColumn> {
  return Object.fromEntries(keys.map((k) => [k, t[k]]));
}

/** A result row's key columns, typed by the read's `groupBy`. */
function keysOf<K extends RollupColumn>(row: Row, keys: readonly K[]): KeyValues<K> {
  return Object.fromEntries(keys.map((k) => [k, row[k]])) as KeyValues<K>;
}

type Row = Record<string, unknown>;

const bucketOf = (t: RollupTable, k: number | undefined) =>
  k === undefined ? sql<number>`0` : sql<number>`(${t.minute} / ${k})`;

/**
 * Grouped sums and bins for `read`.
 *
 * @example
 * const { sums } = await readRollups(db, {
 *   where: (t) => eq(t.routeId, "chat"),
 *   groupBy: ["variant", "metric"],
 *   binMetrics: () => null,
 * });
 */
export async function readRollups<K extends RollupColumn>(
  db: Db,
  read: RollupRead<K>,
): Promise<{ sums: RollupSumRow<K>[]; bins: RollupBinRow<K>[] }> {
  const m = rollupMetrics;
  const b = rollupBins;
  const sumFilter = read.sumMetrics ? read.sumMetrics(m) : undefined;
  const binFilter = read.binMetrics ? read.binMetrics(b) : undefined;
  const mBucket = bucketOf(m, read.bucketMinutes);
  const bBucket = bucketOf(b, read.bucketMinutes);
  const mKeys = Object.values(keyColumns(m, read.groupBy));
  const bKeys = Object.values(keyColumns(b, read.groupBy));
  const sums: Row[] =
    sumFilter === null
      ? []
      : await db
          .select({
            ...keyColumns(m, read.groupBy),
            bucket: mBucket,
            n: sql<number>`sum(${m.n})`,
            sum: sql<number>`sum(${m.sum})`,
            sumSq: sql<number>`sum(${m.sumSq})`,
          })
          .from(m)
          .where(and(read.where(m), sumFilter))
          .groupBy(...mKeys, ...(read.bucketMinutes === undefined ? [] : [mBucket]));
  const bins: Row[] =
    binFilter === null
      ? []
      : await db
          .select({
            ...keyColumns(b, read.groupBy),
            bucket: bBucket,
            bin: b.bin,
            count: sql<number>`sum(${b.count})`,
          })
          .from(b)
          .where(and(read.where(b), binFilter))
          .groupBy(...bKeys, b.bin, ...(read.bucketMinutes === undefined ? [] : [bBucket]));
  // D1 returns aggregates as numbers or strings depending on the driver path.
  return {
    sums: sums.map((r) => ({
      ...keysOf(r, read.groupBy),
      bucket: Number(r.bucket),
      n: Number(r.n),
      sum: Number(r.sum),
      sumSq: Number(r.sumSq),
    })),
    bins: bins.map((r) => ({
      ...keysOf(r, read.groupBy),
      bucket: Number(r.bucket),
      bin: Number(r.bin),
      count: Number(r.count),
    })),
  };
}
