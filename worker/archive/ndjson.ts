/**
 * The archive's object format: gzip-compressed NDJSON, one `OutcomeEvent` per
 * line as the consumer validated it. Encoding is deterministic (same events
 * in the same order, same bytes), which is what lets a redelivered batch
 * overwrite its object byte for byte. Decoding validates every line with the
 * event schema: an object is input like any other.
 */
import { describeIssues } from "../../contracts/config";
import { OutcomeEventSchema, type OutcomeEvent } from "../../contracts/outcome";

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

async function pipeBytes(bytes: Uint8Array, through: ReadableWritablePair<Uint8Array, Uint8Array>) {
  const stream = new Blob([bytes]).stream().pipeThrough(through);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** gzip of `text` (UTF-8), with `CompressionStream` as in the Worker and in Node. */
export function gzipText(text: string): Promise<Uint8Array> {
  return pipeBytes(new TextEncoder().encode(text), new CompressionStream("gzip"));
}

/** The text of a gzip body. */
export async function gunzipText(bytes: Uint8Array): Promise<string> {
  return new TextDecoder().decode(await pipeBytes(bytes, new DecompressionStream("gzip")));
}
