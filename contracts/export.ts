/**
 * The lines of an outcome export (`llm-canary export`, JSONL): one
 * `OutcomeEvent` per request (the shape the edge sends), then one quality
 * record per stored evaluation score or feedback. A quality record carries
 * the rollup key of its row in D1 (the request's minute and step, route,
 * rollout, arm and slice facts), so an offline replay adds it to the same
 * rollups the evaluation consumer and the feedback route did.
 */
import * as z from "zod";
import { UNIT_GROUPS } from "./assignment";
import { MetricNameSchema, VariantSchema } from "./outcome";

const Fact = z.string().max(256).nullable();

export const QualityRecordSchema = z.strictObject({
  v: z.literal(1),
  kind: z.literal("quality"),
  /** `evaluation` (an evaluator's or a pair judge's score) or `feedback`. */
  source: z.enum(["evaluation", "feedback"]),
  requestId: z.string().min(1).max(128),
  /** The evaluator (`pair:<judge>` for pairs); null for feedback. */
  evaluator: z.string().max(128).nullable(),
  /** The request's rollup minute (epoch minutes). */
  minute: z.int().nonnegative(),
  /** The request's rollout step start, epoch ms (0 outside a rollout). */
  step: z.int().nonnegative(),
  routeId: z.string().min(1).max(128),
  rolloutId: z.string().max(128).nullable(),
  releaseId: z.string().min(1).max(128),
  variant: VariantSchema,
  segment: Fact,
  country: Fact,
  cohort: Fact,
  requestClass: Fact,
  metric: MetricNameSchema,
  value: z.number().finite(),
  /**
   * The request's assignment-unit group (as on its outcome); absent in
   * exports from before the field: the replay then takes the request id's.
   */
  unit: z
    .int()
    .min(0)
    .max(UNIT_GROUPS - 1)
    .optional(),
});
export type QualityRecord = z.infer<typeof QualityRecordSchema>;
