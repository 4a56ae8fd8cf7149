/**
 * Evaluation jobs: what the edge sends to the `llm-canary-evals` queue for a
 * sampled request (`sample`) or a shadow-judged pair (`pair`). Texts are
 * redacted and capped at the edge before the job is built; the consumer
 * parses every message with these schemas at the boundary.
 */
import * as z from "zod";
import { UNIT_GROUPS } from "../../contracts/assignment";
import { VariantSchema } from "../../contracts/outcome";

/** Characters kept per text (prompt, context, each answer). */
export const SAMPLE_TEXT_MAX = 8_000;

const Text = z.string().max(SAMPLE_TEXT_MAX);
const Name = z.string().min(1).max(128);
const Dim = z.string().max(128).nullable();

const JobBase = {
  v: z.literal(1),
  requestId: Name,
  /** Request start, epoch ms (the rollup minute). */
  ts: z.int().min(0),
  /** The outcome's rollout step key (see `rolloutStep`); absent in older jobs. */
  step: z.int().min(0).default(0),
  routeId: Name,
  rolloutId: Name.nullable(),
  segment: Dim,
  country: z.string().max(8).nullable(),
  cohort: Dim,
  requestClass: Dim,
  /** The request's assignment-unit group (its outcome's `unit`); absent in older jobs. */
  unit: z
    .int()
    .min(0)
    .max(UNIT_GROUPS - 1)
    .optional(),
  prompt: Text,
  context: Text.nullable(),
};

export const SampleJobSchema = z.strictObject({
  ...JobBase,
  kind: z.literal("sample"),
  releaseId: Name,
  variant: VariantSchema,
  /** Evaluator names to run (from the route's `evaluation.evaluators`). */
  evaluators: z.array(z.string().min(1).max(32)).min(1).max(8),
  answer: Text,
});
export type SampleJob = z.infer<typeof SampleJobSchema>;

export const PairJobSchema = z.strictObject({
  ...JobBase,
  kind: z.literal("pair"),
  stableReleaseId: Name,
  canaryReleaseId: Name,
  /** The judge evaluator that compares the answers. */
  judge: z.string().min(1).max(32),
  stableAnswer: Text,
  canaryAnswer: Text,
});
export type PairJob = z.infer<typeof PairJobSchema>;

export const EvalJobSchema = z.discriminatedUnion("kind", [SampleJobSchema, PairJobSchema]);
export type EvalJob = z.infer<typeof EvalJobSchema>;
