/**
 * Reads a route's current step from `step_assignments`: the requests the
 * edge assigned to each arm, per segment and unit group, logged or not
 * (contracts/assignment-counts.ts). At most segments × 64 groups × 2 arms
 * rows, whatever the traffic. The sample-ratio check prefers these exact
 * counts to the sampled outcome events (analyzer/policy/srm-check.ts).
 */
import { rolloutStep, type Route } from "../../contracts/config";
import { stepAssignments } from "../../contracts/db/schema";
import type { Db } from "../../store/config-store";
import { currentStepRows } from "./current-step";
import type { SegmentAssignments, WindowData } from "../window";

/**
 * The step's assignment counts, or undefined when there are none (no
 * rollout, or an edge that sent none yet).
 *
 * @example const assignments = await readAssignments(db, route);
 */
export async function readAssignments(
  db: Db,
  route: Route,
): Promise<SegmentAssignments[] | undefined> {
  const canary = route.canary;
  const step = rolloutStep(route);
  if (!canary || step === 0) return undefined;
  const t = stepAssignments;
  const rows = await db
    .select({ variant: t.variant, segment: t.segment, unit: t.unit, n: t.n, logged: t.logged })
    .from(t)
    .where(currentStepRows(t, route, canary.id, step));
  if (rows.length === 0) return undefined;
  const segments = new Map<string, SegmentAssignments>();
  for (const r of rows) {
    let s = segments.get(r.segment);
    if (!s) {
      s = { segment: r.segment, stable: [], canary: [], sent: { stable: 0, canary: 0 } };
      segments.set(r.segment, s);
    }
    s[r.variant].push([r.unit, r.n, r.n]);
    s.sent[r.variant] += r.logged;
  }
  return [...segments.values()];
}

/** The window with the step's assignment counts attached, when there are any. */
export async function withAssignments(
  db: Db,
  route: Route,
  window: WindowData,
): Promise<WindowData> {
  const assignments = await readAssignments(db, route);
  return assignments ? { ...window, assignments } : window;
}
