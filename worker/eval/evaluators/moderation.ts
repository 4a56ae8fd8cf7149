/**
 * OpenAI-compatible moderation (`POST /v1/moderations`) of an answer:
 * `toxicity` is 1 when the result is flagged, `toxicity_score` the highest
 * category score. The response is parsed strictly; anything else is missing.
 */
import * as z from "zod";
import { QUALITY_METRICS } from "../../../contracts/quality";
import { missing, type Scores } from "./result";

export const MODERATION_PATH = "/v1/moderations";

export function moderationRequest(answer: string, model?: string): Record<string, unknown> {
  return model ? { input: answer, model } : { input: answer };
}

const ModerationResponseSchema = z.object({
  results: z
    .array(
      z.object({
        flagged: z.boolean(),
        category_scores: z.record(z.string(), z.number().min(0).max(1)),
      }),
    )
    .min(1),
});

/**
 * @example
 * moderationScores({ results: [{ flagged: true, category_scores: { harassment: 0.91 } }] });
 * // { ok: true, metrics: { toxicity: 1, toxicity_score: 0.91 } }
 */
export function moderationScores(json: unknown): Scores {
  const parsed = ModerationResponseSchema.safeParse(json);
  if (!parsed.success) return missing("unparseable", "not a moderation response");
  const results = parsed.data.results;
  const flagged = results.some((r) => r.flagged);
  const score = Math.max(0, ...results.flatMap((r) => Object.values(r.category_scores)));
  return {
    ok: true,
    metrics: {
      [QUALITY_METRICS.toxicity]: flagged ? 1 : 0,
      [QUALITY_METRICS.toxicityScore]: score,
    },
  };
}
