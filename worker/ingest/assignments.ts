/**
 * The consumer of assignment-count messages (contracts/assignment-counts.ts),
 * which share the outcome queue with outcome events (`consume.ts` hands them
 * here). Each valid message is one D1 transaction: its key into the ledger
 * `ingest_keys` (the message id and its `at`, as an event's request id and
 * `ts`), the `ingest_guards` check that the key was new, and the counts added
 * to `step_assignments`. A redelivered message fails the check, adds nothing
 * and is acked; an invalid one is retried until it is dead-lettered with its
 * reason; one older than the ingest window is refused as late, like an event
 * (docs/idempotent-ingest.md).
 */
import { and, eq, sql } from "drizzle-orm";
import type { AssignmentCounts } from "../../contracts/assignment-counts";
import { ingestGuards, ingestKeys, stepAssignments } from "../../contracts/db/schema";
import { ingestCutoff } from "../../contracts/storage";
import { retryDelaySeconds } from "./backoff";
import { toDeadLetter } from "./dead-letter";
import { ledgerKey } from "./keys";
import { writeDeadLetters, type Db } from "./store";
import { summarizeErrors, validateAssignmentCounts } from "./validate";

/** A late count message's dead-letter reason. */
export const LATE_COUNTS =
  "late: assignment counts older than the ingest window (INGEST_WINDOW_HOURS); not counted";

/** The segment column's value for requests of no segment rule (as the rollups' `segment` dim). */
const NO_SEGMENT = "default";

/** The ledger's request-id namespace for count messages. */
const ledgerId = (c: AssignmentCounts) => `assignments\u0000${c.id}`;

/**
 * Validates, stores and acks (or retries) assignment-count messages.
 *
 * @example await consumeAssignmentCounts(drizzle(env.DB), messages, Date.now(), 72, "llm-canary-outcomes")
 */
export async function consumeAssignmentCounts(
  db: Db,
  messages: readonly Message<unknown>[],
  now: number,
  ingestWindowHours: number,
  queue: string,
): Promise<void> {
  const cutoff = ingestCutoff(now, ingestWindowHours);
  const late: Message<unknown>[] = [];
  for (const msg of messages) {
    const v = validateAssignmentCounts(msg.body);
    if (!v.ok) {
      console.warn({
        msg: "ingest: invalid assignment counts, retrying",
        id: msg.id,
        reason: summarizeErrors(v.errors),
      });
      msg.retry();
    } else if (v.counts.at < cutoff) {
      late.push(msg);
    } else {
      try {
        const stored = await writeAssignmentCounts(db, v.counts);
        if (!stored)
          console.warn({ msg: "ingest: assignment counts redelivered", id: v.counts.id });
        msg.ack();
      } catch (err) {
        console.error({ msg: "ingest: assignment counts write failed, retrying", id: msg.id, err });
        msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
      }
    }
  }
  if (late.length === 0) return;
  const letters = late.map((m) => ({ ...toDeadLetter(m, queue, now), reason: LATE_COUNTS }));
  try {
    await writeDeadLetters(db, letters);
  } catch (err) {
    console.error({ msg: "ingest: storing late counts failed, retrying", count: late.length, err });
    for (const m of late) m.retry({ delaySeconds: retryDelaySeconds(m.attempts) });
    return;
  }
  for (const m of late) m.ack();
}

/**
 * Adds a message's counts to `step_assignments` once: false (nothing written)
 * when its ledger key is stored already. Throws when D1 fails.
 */
export async function writeAssignmentCounts(db: Db, counts: AssignmentCounts): Promise<boolean> {
  const [hour, key] = await ledgerKey(ledgerId(counts), counts.at);
  const guard = `assignments\u0000${counts.id}`;
  const rows = counts.counts.map((c) => {
    const [routeId, rolloutId, step, releaseId, variant, segment, unit, n, logged] = c;
    return [routeId, rolloutId, step, releaseId, variant, segment ?? NO_SEGMENT, unit, n, logged];
  });
  const t = stepAssignments;
  try {
    await db.batch([
      db
        .insert(ingestKeys)
        .select(sql`SELECT ${hour}, ${sql.raw(key)} WHERE true`)
        .onConflictDoNothing(),
      // changes(): 0 when the key was there already, and the CHECK aborts the transaction.
      db.insert(ingestGuards).select(sql`SELECT ${guard}, 1, changes()`),
      db.delete(ingestGuards).where(eq(ingestGuards.batch, guard)),
      db
        .insert(t)
        .select(
          sql`SELECT ${sql.raw(
            [0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => `json_extract(e.value, '$[${i}]')`).join(", "),
          )} FROM json_each(${JSON.stringify(rows)}) AS e WHERE true`,
        )
        .onConflictDoUpdate({
          target: [t.routeId, t.rolloutId, t.step, t.variant, t.releaseId, t.segment, t.unit],
          set: { n: sql`${t.n} + excluded."n"`, logged: sql`${t.logged} + excluded."logged"` },
        }),
    ]);
    return true;
  } catch (err) {
    // A stored key means a redelivery (the check failed); otherwise D1 failed.
    const found = await db
      .select({ hour: ingestKeys.hour })
      .from(ingestKeys)
      .where(and(eq(ingestKeys.hour, hour), eq(ingestKeys.key, sql`${sql.raw(key)}`)));
    if (found.length > 0) return false;
    throw err;
  }
}
