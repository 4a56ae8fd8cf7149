/**
 * The outcome and dead-letter queue consumers (dispatched by
 * `worker/queues.ts`): validates each message at the boundary, writes
 * the valid ones in one transaction (see `store.ts`) and acks or retries every
 * message explicitly. Invalid messages are retried until the platform moves
 * them to the dead-letter queue, whose consumer stores them in `dead_letters`.
 * Nothing is acked that was not committed, and expected failures never throw.
 *
 * An event older than the ingest window (`keys.ts` `ingestCutoff`) is
 * refused as late: its ledger key may have been pruned, so counting it could
 * count it twice. It is stored in `dead_letters` with the reason, and acked.
 *
 * Assignment-count messages (contracts/assignment-counts.ts) share the queue
 * and go to their own consumer, `assignments.ts`, before any event is read.
 */
import { isAssignmentMessage } from "../../contracts/assignment-counts";
import { ingestCutoff, type StorageSettings } from "../../contracts/storage";
import { consumeAssignmentCounts } from "./assignments";
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

/** A late event's dead-letter reason. */
export const LATE = "late: older than the ingest window (INGEST_WINDOW_HOURS); not counted";

export async function consumeOutcomes(
  db: Db,
  batch: readonly Message<unknown>[],
  now: number,
  storage: StorageSettings,
  archive: ArchiveStep | null = null,
): Promise<void> {
  // Assignment counts share the queue; they have their own consumer (assignments.ts).
  const counts = batch.filter((m) => isAssignmentMessage(m.body));
  if (counts.length > 0)
    await consumeAssignmentCounts(db, counts, now, storage.ingestWindowHours, OUTCOMES_QUEUE);
  const messages = counts.length > 0 ? batch.filter((m) => !isAssignmentMessage(m.body)) : batch;
  const valid: Array<{ msg: Message<unknown>; event: OutcomeEvent; row: IngestRow }> = [];
  const late: Message<unknown>[] = [];
  const rejected: Array<{ id: string; attempts: number; reason: string }> = [];
  const cutoff = ingestCutoff(now, storage.ingestWindowHours);
  for (const msg of messages) {
    const result = validateOutcome(msg.body);
    if (result.ok && result.event.ts < cutoff) {
      late.push(msg);
    } else if (result.ok) {
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
  if (late.length > 0) await refuseLate(db, late, now);
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
      { rawRows: storage.rawRowsHours > 0, minuteDims: storage.minuteRollupDims },
    );
  } catch (err) {
    console.error({ msg: "ingest: D1 write failed, retrying batch", count: valid.length, err });
    for (const { msg } of valid) msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
    return;
  }
  for (const { msg } of valid) msg.ack();
}

/** Stores late events as dead letters and acks them; retries them when D1 fails. */
async function refuseLate(db: Db, late: readonly Message<unknown>[], now: number): Promise<void> {
  const letters = late.map((msg) => ({ ...toDeadLetter(msg, OUTCOMES_QUEUE, now), reason: LATE }));
  try {
    await writeDeadLetters(db, letters);
  } catch (err) {
    console.error({ msg: "ingest: storing late events failed, retrying", count: late.length, err });
    for (const msg of late) msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
    return;
  }
  console.warn({ msg: "ingest: late events refused", ids: letters.map((l) => l.id) });
  for (const msg of late) msg.ack();
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
