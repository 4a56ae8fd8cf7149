/**
 * Reads a rollout's per-minute rollups over any time window into the
 * analyzer's `WindowData`, for the admin API's `from`/`to` view. Per-minute
 * sketch bins exist for the `all` dimension only, so other slices carry
 * counts, rates and means but no quantiles here; the current step's
 * aggregates (`step-reader.ts`, what the analyzer judges) have them for every
 * slice. Only the dimensions that get per-minute rows (`MINUTE_ROLLUP_DIMS`,
 * contracts/storage.ts) are read: rows a wider setting wrote earlier would
 * cover part of the window only. Reads through `store/rollup-reader.ts`.
 */
import { and, eq, gte, inArray, lte, or } from "drizzle-orm";
import type { Route } from "../../contracts/config";
import { minuteRange } from "../../contracts/minute";
import { readRollups } from "../../store/rollup-reader";
import type { Slice, SliceDim, WindowData } from "../window";
import { emptyArm } from "../window";
import type { Db } from "../../store/config-store";

/**
 * The route's current rollout over [from, to], slices of `dims` only.
 *
 * @example
 * const window = await readWindow(db, route, from, to, storage.minuteRollupDims);
 */
export async function readWindow(
  db: Db,
  route: Route,
  from: number,
  to: number,
  dims: readonly string[],
): Promise<WindowData> {
  const canary = route.canary;
  if (!canary) return { from, to, slices: [] };
  const { first, last } = minuteRange(from, to);
  const { sums, bins } = await readRollups(db, {
    where: (t) =>
      and(
        eq(t.routeId, route.id),
        eq(t.rolloutId, canary.id),
        gte(t.minute, first),
        lte(t.minute, last),
        inArray(t.dim, [...dims]),
        or(
          and(eq(t.variant, "stable"), eq(t.releaseId, route.stable.id)),
          and(eq(t.variant, "canary"), eq(t.releaseId, canary.id)),
        ),
      ),
    groupBy: ["variant", "dim", "dimValue", "metric"],
  });
  const slices = new Map<string, Slice>();
  const slice = (dim: string, value: string): Slice => {
    const key = `${dim}\u0000${value}`;
    let s = slices.get(key);
    if (!s) {
      s = { dim: dim as SliceDim, value, stable: emptyArm(), canary: emptyArm() };
      slices.set(key, s);
    }
    return s;
  };
  for (const r of sums) {
    slice(r.dim, r.dimValue)[r.variant].metrics[r.metric] = { n: r.n, sum: r.sum, sumSq: r.sumSq };
  }
  for (const r of bins) {
    const arm = slice(r.dim, r.dimValue)[r.variant];
    (arm.sketches[r.metric] ??= []).push([r.bin, r.count]);
  }
  return { from, to, slices: [...slices.values()] };
}
