/**
 * The rows of a route's current rollout step in a per-step table
 * (`step_rollups`, `step_assignments`): its rollout and step, stable rows of
 * the stable release and canary rows of the canary release. One definition
 * for every reader of a step, so they cannot disagree on which rows it has.
 */
import { and, eq, or, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Route } from "../../contracts/config";

interface StepColumns {
  routeId: SQLiteColumn;
  rolloutId: SQLiteColumn;
  step: SQLiteColumn;
  variant: SQLiteColumn;
  releaseId: SQLiteColumn;
}

/**
 * @example db.select().from(stepRollups).where(currentStepRows(stepRollups, route, canary.id, step))
 */
export function currentStepRows(
  t: StepColumns,
  route: Route,
  canaryId: string,
  step: number,
): SQL | undefined {
  return and(
    eq(t.routeId, route.id),
    eq(t.rolloutId, canaryId),
    eq(t.step, step),
    or(
      and(eq(t.variant, "stable"), eq(t.releaseId, route.stable.id)),
      and(eq(t.variant, "canary"), eq(t.releaseId, canaryId)),
    ),
  );
}
