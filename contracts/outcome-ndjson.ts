/**
 * Outcome events as NDJSON, one `OutcomeEvent` per line: the R2 archive's
 * object text (worker/archive/, gzip-compressed there) and what
 * `llm-canary export --from r2` reads back page by page. Encoding is deterministic (same events
 * in the same order, same bytes), which is what lets a redelivered batch
 * overwrite its object byte for byte. Decoding validates every line with the
 * event schema: an object is input like any other.
 */
import { describeIssues } from "./config";
import { OutcomeEventSchema, type OutcomeEvent } from "./outcome";

export const NDJSON_TYPE = "application/x-ndjson";

/** One JSON line per event, each ending in `\n`. */
export function encodeNdjson(events: readonly OutcomeEvent[]): string {
  let out = "";
  for (const e of events) out += `${JSON.stringify(e)}\n`;
  return out;
}

export type DecodeResult =
  { ok: true; events: OutcomeEvent[] } | { ok: false; reason: "invalid_line"; errors: string[] };

/**
 * The events of an NDJSON text; blank lines are skipped, and the first bad
 * lines are named (at most five).
 *
 * @example
 * decodeNdjson('{"v":1,...}\n'); // { ok: true, events: [...] }
 */
export function decodeNdjson(text: string): DecodeResult {
  const events: OutcomeEvent[] = [];
  const errors: string[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length && errors.length < 5; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      errors.push(`line ${i + 1}: not JSON`);
      continue;
    }
    const parsed = OutcomeEventSchema.safeParse(value);
    if (parsed.success) events.push(parsed.data);
    else errors.push(`line ${i + 1}: ${describeIssues(parsed.error).slice(0, 3).join("; ")}`);
  }
  return errors.length > 0 ? { ok: false, reason: "invalid_line", errors } : { ok: true, events };
}
