/**
 * Reads a route's current rollout step from `step_rollups` into the analyzer's
 * `WindowData`: one indexed range read of at most (slices × arms × metrics)
 * rows, each sketch and each set of unit-group sums a single JSON value. Neither traffic nor the step's length
 * changes how many rows there are, so a run costs the same at 10^3 or 10^6
 * requests a day (docs/step-rollups.md). Arbitrary time windows (the admin
 * API's `from`/`to`) are read from the per-minute rollups by `window-reader.ts`.
 */
import { inArray, sql } from "drizzle-orm";
import { rolloutStep, type Route } from "../../contracts/config";
import { stepRollups } from "../../contracts/db/schema";
import type { GroupSums, Slice, SliceDim, SketchBins, WindowData } from "../window";
import { emptyArm } from "../window";
import { parseCounts, parseGroupSums, parsePackedCounts } from "./counts-json";
import type { Db } from "../../store/config-store";
import { currentStepRows } from "./current-step";

export interface ReadStepOptions {
  /**
   * Metrics whose per-group coarse bins to read (`quantileSources` of the
   * policy's metrics); the others' stay in D1. They are the bulk of a step's
   * bytes at volume (about half at 10^6 requests), and only a quantile
   * verdict reads them. Default: every metric's.
   */
  groupBinsOf?: ReadonlySet<string> | undefined;
}

/**
 * The aggregates of the route's current step, as a window from the step's
 * start to `now`. Empty without a canary or a rollout.
 *
 * @example
 * const window = await readStep(db, route, Date.now());
 */
export async function readStep(
  db: Db,
  route: Route,
  now: number,
  options: ReadStepOptions = {},
): Promise<WindowData> {
  const canary = route.canary;
  const step = rolloutStep(route);
  if (!canary || step === 0) return { from: now, to: now, slices: [] };
  const t = stepRollups;
  const rows = await db
    .select({
      variant: t.variant,
      dim: t.dim,
      dimValue: t.dimValue,
      metric: t.metric,
      n: t.n,
      sum: t.sum,
      sumSq: t.sumSq,
      bins: t.bins,
      groups: t.groups,
      groupBins: options.groupBinsOf
        ? options.groupBinsOf.size === 0
          ? sql<string | null>`null`
          : sql<
              string | null
            >`CASE WHEN ${inArray(t.metric, [...options.groupBinsOf])} THEN ${t.groupBins} END`
        : t.groupBins,
    })
    .from(t)
    .where(currentStepRows(t, route, canary.id, step));
  const slices = new Map<string, Slice>();
  for (const r of rows) {
    const key = `${r.dim}\u0000${r.dimValue}`;
    let s = slices.get(key);
    if (!s) {
      s = { dim: r.dim as SliceDim, value: r.dimValue, stable: emptyArm(), canary: emptyArm() };
      slices.set(key, s);
    }
    const arm = s[r.variant];
    arm.metrics[r.metric] = { n: r.n, sum: r.sum, sumSq: r.sumSq };
    if (r.bins !== null) arm.sketches[r.metric] = parseBins(r.bins);
    if (r.groups !== null) (arm.groups ??= {})[r.metric] = parseGroups(r.groups);
    if (r.groupBins !== null) (arm.groupBins ??= {})[r.metric] = parsePackedCounts(r.groupBins);
  }
  return { from: step, to: now, slices: [...slices.values()] };
}

/** `{"<group>": [n, sum]}` as [group, n, sum] triples. */
export const parseGroups: (json: string) => GroupSums = parseGroupSums;

/** `{"<bin>": count}` as [bin, count] pairs. */
export const parseBins: (json: string) => SketchBins = parseCounts;
