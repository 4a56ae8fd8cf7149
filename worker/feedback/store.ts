/**
 * D1 write of one feedback: the row (request id is the key, so a second
 * submission inserts nothing) and its `feedback_positive` rollup, in one
 * transaction tagged with a fresh batch id (docs/idempotent-ingest.md).
 */
import { sql } from "drizzle-orm";
import { feedback } from "../../contracts/db/schema";
import type { RollupDim } from "../../contracts/dims";
import { FEEDBACK_POSITIVE_SQL, QUALITY_METRICS } from "../../contracts/quality";
import { addQualityRollups, type Db } from "../eval/rollup";

export type FeedbackRow = Omit<typeof feedback.$inferSelect, "feedbackBatch" | "createdAt">;

/**
 * Stores feedback (per-minute rollups under `minuteDims`); false when this
 * request already has feedback (nothing changed).
 */
export async function storeFeedback(
  db: Db,
  row: FeedbackRow,
  now: number,
  minuteDims?: readonly RollupDim[],
): Promise<boolean> {
  const batchId = crypto.randomUUID();
  const [inserted] = await db.batch([
    db
      .insert(feedback)
      .values({ ...row, feedbackBatch: batchId, createdAt: now })
      .onConflictDoNothing()
      .returning({ requestId: feedback.requestId }),
    ...addQualityRollups(
      db,
      {
        table: feedback,
        batchColumn: feedback.feedbackBatch,
        batchId,
        metric: sql`${QUALITY_METRICS.feedbackPositive}`,
        value: sql.raw(FEEDBACK_POSITIVE_SQL),
      },
      minuteDims,
    ),
  ]);
  return inserted.length > 0;
}
