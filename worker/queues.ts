/**
 * The Worker's queue entry: one consumer for the three queues in
 * wrangler.toml. Outcomes and their dead letters go to `ingest/` (outcomes
 * archived to R2 first by `archive/`, unless OUTCOME_ARCHIVE is "off"),
 * evaluation jobs to `eval/`; a batch from a queue this Worker does not know
 * is retried, never dropped. Both consumers write per-minute rollups under
 * the dimensions `MINUTE_ROLLUP_DIMS` keeps (contracts/storage.ts).
 */
import { drizzle } from "drizzle-orm/d1";
import { storageSettings } from "../contracts/storage";
import { outcomeArchive } from "./archive/write";
import { consumeEvalJobs, EVALS_QUEUE } from "./eval/consumer";
import {
  consumeDeadLetters,
  consumeOutcomes,
  DEAD_LETTER_QUEUE,
  OUTCOMES_QUEUE,
} from "./ingest/consume";

export async function handleQueue(
  batch: MessageBatch<unknown>,
  env: Env,
  _ctx: ExecutionContext,
): Promise<void> {
  const now = Date.now();
  const storage = storageSettings(env);
  switch (batch.queue) {
    case OUTCOMES_QUEUE: {
      if (!storage.ok) console.error({ msg: "ingest: invalid storage vars", error: storage.error });
      const archive = outcomeArchive(env);
      return consumeOutcomes(drizzle(env.DB), batch.messages, now, storage.settings, archive);
    }
    case DEAD_LETTER_QUEUE:
      return consumeDeadLetters(drizzle(env.DB), batch.messages, batch.queue, now);
    case EVALS_QUEUE:
      return consumeEvalJobs(batch, env, now, storage.settings.minuteRollupDims);
    default:
      console.error({ msg: "queue: batch from an unknown queue, retrying", queue: batch.queue });
      for (const msg of batch.messages) msg.retry();
  }
}
