/**
 * Sends outcome events to the queue, off the response path (callers wrap it in
 * `waitUntil`). A failing queue never fails or slows a client: the event is
 * dropped, counted and logged.
 */
import type { OutcomeEvent } from "../../contracts/outcome";

let dropped = 0;

/** Outcome events this isolate could not enqueue (exposed by `/metrics`). */
export function droppedOutcomes(): number {
  return dropped;
}

export async function emitOutcome(queue: Queue, event: OutcomeEvent): Promise<void> {
  try {
    await queue.send(event, { contentType: "json" });
  } catch (e) {
    dropped += 1;
    console.error(
      JSON.stringify({ msg: "outcome dropped", requestId: event.requestId, error: String(e) }),
    );
  }
}

const encoder = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/** SHA-256 hex of the prompt text, and its length (prompts are never stored). */
export async function promptDigest(
  prompt: string,
): Promise<{ hash: string | null; chars: number }> {
  if (prompt.length === 0) return { hash: null, chars: 0 };
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(prompt)));
  let hash = "";
  for (const b of digest) hash += HEX[b];
  return { hash, chars: prompt.length };
}
