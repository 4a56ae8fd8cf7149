/**
 * The edge's side of assignment counts: every request of a rollout step,
 * logged or not, is counted in this isolate's tally (`tally.ts`), and a due
 * tally goes to the outcome queue as one message through `waitUntil`. A
 * failed send is logged and its counts dropped: it never fails or delays the
 * client, and it loses one window's counts of both arms alike.
 */
import { unitGroup } from "../../contracts/assignment";
import type { AssignmentCounts } from "../../contracts/assignment-counts";
import { rolloutStep } from "../../contracts/config";
import type { RoutePlan } from "../routing/plan";
import { AssignmentTally } from "./tally";

/** Made on the first request: random values are not available at startup. */
let tally: AssignmentTally | null = null;
let dropped = 0;

/** Assignment-count messages this isolate could not enqueue (exposed by `/metrics`). */
export function droppedAssignmentCounts(): number {
  return dropped;
}

/**
 * Counts a planned request of a rollout step, and sends the tally when it is
 * due: `intervalMs` old (`settings.assignmentCountsIntervalMs`) or at a bound.
 *
 * @example countAssignment(c.executionCtx, c.env.OUTCOMES, plan, userKey ?? requestId, logged, Date.now(), 10_000)
 */
export function countAssignment(
  ctx: Pick<ExecutionContext, "waitUntil">,
  queue: Queue,
  plan: RoutePlan,
  unitKey: string,
  logged: boolean,
  now: number,
  intervalMs?: number,
): void {
  const step = rolloutStep(plan.route);
  const rolloutId = plan.route.canary?.id;
  if (step === 0 || rolloutId === undefined) return;
  tally ??= new AssignmentTally(crypto.randomUUID());
  tally.add(
    {
      routeId: plan.route.id,
      rolloutId,
      step,
      releaseId: plan.release.id,
      variant: plan.variant,
      segment: plan.segment,
      unit: unitGroup(unitKey),
    },
    logged,
    now,
  );
  if (!tally.due(now, intervalMs)) return;
  const message = tally.take(now);
  if (message) ctx.waitUntil(sendCounts(queue, message));
}

async function sendCounts(queue: Queue, message: AssignmentCounts): Promise<void> {
  try {
    await queue.send(message, { contentType: "json" });
  } catch (e) {
    dropped += 1;
    console.error(
      JSON.stringify({
        msg: "assignment counts dropped",
        id: message.id,
        keys: message.counts.length,
        error: String(e),
      }),
    );
  }
}
