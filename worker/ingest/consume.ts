/**
 * The outcome and dead-letter queue consumers (dispatched by
 * `worker/queues.ts`): validates each message at the boundary, writes
 * the valid ones in one transaction (see `store.ts`) and acks or retries every
 * message explicitly. Invalid messages are retried until the platform moves
 * them to the dead-letter queue, whose consumer stores them in `dead_letters`.
 * Nothing is acked that was not committed, and expected failures never throw.
 */
import type { OutcomeEvent } from "../../contracts/outcome";
import { retryDelaySeconds } from "./backoff";
import { toDeadLetter } from "./dead-letter";
import { toIngestRow, type IngestRow } from "./rows";
import { writeDeadLetters, writeOutcomes, type Db } from "./store";
import { summarizeErrors, validateOutcome } from "./validate";

/** Queue names as configured in wrangler.toml. */
export const OUTCOMES_QUEUE = "llm-canary-outcomes";
export const DEAD_LETTER_QUEUE = "llm-canary-outcomes-dlq";

/**
 * Archives a batch's valid events (worker/archive/write.ts) before D1 is
 * written; a rejection retries the batch, so D1 never counts an event the
 * archive missed.
 */
export type ArchiveStep = (events: readonly OutcomeEvent[]) => Promise<unknown>;

export async function consumeOutcomes(
  db: Db,
  messages: readonly Message<unknown>[],
  now: number,
  archive: ArchiveStep | null = null,
): Promise<void> {
  const valid: Array<{ msg: Message<unknown>; event: OutcomeEvent; row: IngestRow }> = [];
  const rejected: Array<{ id: string; attempts: number; reason: string }> = [];
  for (const msg of messages) {
    const result = validateOutcome(msg.body);
    if (result.ok) {
      valid.push({ msg, event: result.event, row: toIngestRow(result.event) });
    } else {
      rejected.push({ id: msg.id, attempts: msg.attempts, reason: summarizeErrors(result.errors) });
      // Poison never heals: no delay, let it reach the dead-letter queue soon.
      msg.retry();
    }
  }
  if (rejected.length > 0) {
    console.warn({ msg: "ingest: invalid outcome events, retrying", rejected });
  }
  if (valid.length === 0) return;
  if (archive) {
    try {
      await archive(valid.map((v) => v.event));
    } catch (err) {
      console.error({
        msg: "ingest: archive write failed, retrying batch",
        count: valid.length,
        err,
      });
      for (const { msg } of valid) msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
      return;
    }
  }
  try {
    await writeOutcomes(
      db,
      valid.map((v) => v.row),
      { id: crypto.randomUUID(), at: now },
    );
  } catch (err) {
    console.error({ msg: "ingest: D1 write failed, retrying batch", count: valid.length, err });
    for (const { msg } of valid) msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
    return;
  }
  for (const { msg } of valid) msg.ack();
}

export async function consumeDeadLetters(
  db: Db,
  messages: readonly Message<unknown>[],
  queue: string,
  now: number,
): Promise<void> {
  const letters = messages.map((msg) => toDeadLetter(msg, queue, now));
  try {
    await writeDeadLetters(db, letters);
  } catch (err) {
    console.error({
      msg: "ingest: storing dead letters failed, retrying",
      count: letters.length,
      err,
    });
    for (const msg of messages) msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
    return;
  }
  console.warn({
    msg: "ingest: dead letters stored",
    letters: letters.map((l) => ({ id: l.id, reason: l.reason })),
  });
  for (const msg of messages) msg.ack();
}
