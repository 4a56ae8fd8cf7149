/**
 * Pure mapping from a dead-lettered message to its `dead_letters` row. The
 * body is kept as JSON text (cut to 64 KiB on a character boundary) with a
 * best-effort reason, so an operator can see why it failed and replay it.
 */
import type { deadLetters } from "../../contracts/db/schema";
import { messageErrors, summarizeErrors } from "./validate";

export type DeadLetterRow = typeof deadLetters.$inferSelect;

export const DEAD_LETTER_BODY_MAX_BYTES = 64 * 1024;
/** Reason for a body that is valid: it failed for another cause (e.g. D1) too often. */
export const EXCEEDED_RETRIES = "exceeded retries";

/**
 * The `dead_letters` row for a message received on `queue` at `receivedAt`.
 *
 * @example
 * toDeadLetter({ id: "m1", body: { v: 2 } }, "llm-canary-outcomes-dlq", 1_700_000_000_000);
 * // { id: "m1", queue: "llm-canary-outcomes-dlq", receivedAt: 1700000000000,
 * //   reason: "v: Invalid input: expected 1; ...", body: '{"v":2}' }
 */
export function toDeadLetter(
  msg: { id: string; body: unknown },
  queue: string,
  receivedAt: number,
): DeadLetterRow {
  const errors = messageErrors(msg.body);
  return {
    id: msg.id,
    queue,
    receivedAt,
    reason: errors.length === 0 ? EXCEEDED_RETRIES : summarizeErrors(errors),
    body: truncateUtf8(bodyText(msg.body), DEAD_LETTER_BODY_MAX_BYTES),
  };
}

/** JSON text of a body; bodies JSON cannot encode (cycles, BigInt) fall back to String(). */
export function bodyText(body: unknown): string {
  try {
    const text = JSON.stringify(body);
    if (text !== undefined) return text;
  } catch {
    // fall through: a structured-clone body JSON cannot represent
  }
  return String(body);
}

/** The longest prefix of `text` whose UTF-8 encoding fits `maxBytes`. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  const buf = new Uint8Array(maxBytes);
  const { read, written } = new TextEncoder().encodeInto(text, buf);
  return read === text.length ? text : new TextDecoder().decode(buf.subarray(0, written));
}
