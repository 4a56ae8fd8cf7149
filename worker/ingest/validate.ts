/**
 * Boundary validation of queue message bodies. A body that does not parse as
 * an `OutcomeEvent` is poison: the consumer retries it until the platform
 * dead-letters it, and the reason (field path and problem) is what gets logged
 * and stored in `dead_letters`.
 */
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
