/**
 * Boundary validation of queue message bodies. A body that does not parse as
 * an `OutcomeEvent` is poison: the consumer retries it until the platform
 * dead-letters it, and the reason (field path and problem) is what gets logged
 * and stored in `dead_letters`.
 */
import {
  AssignmentCountsSchema,
  isAssignmentMessage,
  type AssignmentCounts,
} from "../../contracts/assignment-counts";
import { describeIssues } from "../../contracts/config";
import { OutcomeEventSchema, type OutcomeEvent } from "../../contracts/outcome";

export type ValidationResult =
  { ok: true; event: OutcomeEvent } | { ok: false; reason: "invalid_event"; errors: string[] };

/**
 * Parses a queue message body as an outcome event.
 *
 * @example
 * validateOutcome({ v: 1 });
 * // { ok: false, reason: "invalid_event", errors: ["requestId: Invalid input: ...", ...] }
 */
export function validateOutcome(body: unknown): ValidationResult {
  const parsed = OutcomeEventSchema.safeParse(body);
  if (parsed.success) return { ok: true, event: parsed.data };
  return { ok: false, reason: "invalid_event", errors: describeIssues(parsed.error) };
}

export type CountsValidation =
  | { ok: true; counts: AssignmentCounts }
  | { ok: false; reason: "invalid_counts"; errors: string[] };

/**
 * Parses a queue message body as an assignment-count message
 * (contracts/assignment-counts.ts).
 *
 * @example
 * validateAssignmentCounts({ kind: "assignments", v: 1, id: "i:1", from: 0, at: 0, counts: [] });
 * // { ok: false, reason: "invalid_counts", errors: ["counts: Too small: ..."] }
 */
export function validateAssignmentCounts(body: unknown): CountsValidation {
  const parsed = AssignmentCountsSchema.safeParse(body);
  if (parsed.success) return { ok: true, counts: parsed.data };
  return { ok: false, reason: "invalid_counts", errors: describeIssues(parsed.error) };
}

/** The problems of a body on the outcome queue, whichever kind it claims to be; [] when valid. */
export function messageErrors(body: unknown): string[] {
  const v = isAssignmentMessage(body) ? validateAssignmentCounts(body) : validateOutcome(body);
  return v.ok ? [] : v.errors;
}

/**
 * One line for logs and `dead_letters.reason`; long issue lists are cut so a
 * body with thousands of bad keys cannot produce a huge reason.
 *
 * @example
 * summarizeErrors(["ts: Invalid input", "status: Too big"]); // "ts: Invalid input; status: Too big"
 */
export function summarizeErrors(errors: readonly string[], max = 10): string {
  const shown = errors.slice(0, max).join("; ");
  return errors.length > max ? `${shown}; (${errors.length - max} more)` : shown;
}
