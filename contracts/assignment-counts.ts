/**
 * Assignment counts: how many requests the edge assigned to each arm of a
 * rollout step, every request counted whether its outcome was logged or not
 * (docs/statistics.md › "Sampled logging"). The edge adds each request to an
 * in-isolate tally (worker/outcome/tally.ts) and sends it as one message on
 * the outcome queue; the consumer adds the counts to `step_assignments`, and
 * the sample-ratio check tests these exact counts instead of the sampled
 * outcome events. Each count also says how many of its requests were sampled
 * in, so outcome events lost on the way show against what the edge sent.
 *
 * A message carries its own id (isolate id and sequence) and the time it was
 * sent: the idempotency ledger keys it like an outcome event's request id and
 * `ts` (docs/idempotent-ingest.md), so a redelivered message counts once.
 */
import * as z from "zod";
import { UNIT_GROUPS } from "./assignment";
import { VariantSchema, type Variant } from "./outcome";

/** The `kind` that tells an assignment-count message from an outcome event on the queue. */
export const ASSIGNMENTS_KIND = "assignments";

/** Most counts one message holds (the edge flushes before it gets there). */
export const MAX_ASSIGNMENT_KEYS = 2_000;

/** What one count is about: the rollout step, the arm, the segment and the unit group. */
export interface AssignmentKey {
  routeId: string;
  /** The canary release under rollout. */
  rolloutId: string;
  /** The step's start, epoch ms, as the outcome event's `step` carries it. */
  step: number;
  releaseId: string;
  variant: Variant;
  /** The segment rule's name, or null for the route default (as on outcome events). */
  segment: string | null;
  /** `unitGroup` of the assignment unit (contracts/assignment.ts), as the event's `unit`. */
  unit: number;
}

/**
 * `[routeId, rolloutId, step, releaseId, variant, segment, unit, n, logged]`,
 * compact on the queue: `n` requests assigned, `logged` of them sampled in
 * (their outcome events sent).
 */
export type AssignmentTuple = [
  routeId: string,
  rolloutId: string,
  step: number,
  releaseId: string,
  variant: Variant,
  segment: string | null,
  unit: number,
  n: number,
  logged: number,
];

const id = z.string().min(1).max(128);

export const AssignmentTupleSchema = z.tuple([
  id,
  id,
  z.int().min(1),
  id,
  VariantSchema,
  id.nullable(),
  z
    .int()
    .min(0)
    .max(UNIT_GROUPS - 1),
  z.int().min(1),
  z.int().min(0),
]);

export const AssignmentCountsSchema = z.strictObject({
  kind: z.literal(ASSIGNMENTS_KIND),
  v: z.literal(1),
  /** Unique per message: the sending isolate's id and its sequence number. */
  id: z.string().min(1).max(128),
  /** When the first request counted here arrived, epoch ms. */
  from: z.int().min(0),
  /** When the message was sent, epoch ms: its ledger hour and its age for the ingest window. */
  at: z.int().min(0),
  counts: z.array(AssignmentTupleSchema).min(1).max(MAX_ASSIGNMENT_KEYS),
});

export type AssignmentCounts = z.infer<typeof AssignmentCountsSchema>;

/** Whether a queue body claims to be an assignment-count message (valid or not). */
export function isAssignmentMessage(body: unknown): boolean {
  return (
    typeof body === "object" &&
    body !== null &&
    (body as { kind?: unknown }).kind === ASSIGNMENTS_KIND
  );
}

/** An assignment key's fields in the order of `AssignmentTuple`. */
export function keyFields(k: AssignmentKey): KeyFields {
  return [k.routeId, k.rolloutId, k.step, k.releaseId, k.variant, k.segment, k.unit];
}

/** The leading fields of an `AssignmentTuple`: the key without its counts. */
type KeyFields = [string, string, number, string, Variant, string | null, number];

/** The text key of an assignment key (one tally entry per key). */
export function assignmentKeyText(k: AssignmentKey): string {
  return JSON.stringify(keyFields(k));
}
