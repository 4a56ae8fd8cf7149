/**
 * Names of the quality metrics that do not come from the outcome event itself:
 * scores of sampled evaluations, paired shadow judgements and user feedback.
 * The evaluation consumer and the feedback route write them into
 * `rollup_metrics`; the analyzer's default definitions read them. Inline
 * signals (refusal, truncated, json_valid, repetition, mean_logprob, ...) are
 * outcome metrics computed at the edge (worker/quality/signals.ts).
 */

export const QUALITY_METRICS = {
  /** Moderation or Perspective: 1 when flagged toxic, else 0. */
  toxicity: "toxicity",
  /** Moderation or Perspective: the highest category score, 0..1. */
  toxicityScore: "toxicity_score",
  /** Judge: relevance of the answer to the prompt, 1..5. */
  relevance: "relevance",
  /** Judge: coherence of the answer, 1..5. */
  coherence: "coherence",
  /** Judge, requests with context only: 1 when the answer makes unsupported claims. */
  hallucination: "hallucination",
  /** Paired shadow judging: canary 1 win / 0.5 tie / 0 loss; the stable arm gets 0.5. */
  pairwiseWin: "pairwise_win",
  /** User feedback: 1 when positive (score > 0 or label `positive`), else 0. */
  feedbackPositive: "feedback_positive",
} as const;

/** Per evaluator: 1 when a sample got no usable score from it (failed, unparseable). */
export function evalMissingMetric(evaluator: string): string {
  return `eval_missing_${evaluator}`;
}

/** Per evaluator: 1 when a sample was skipped because the evaluator's budget was spent. */
export function evalSkippedMetric(evaluator: string): string {
  return `eval_skipped_${evaluator}`;
}

/** The value the stable arm records for every judged pair (see docs/quality-signals.md). */
export const PAIRWISE_STABLE_VALUE = 0.5;

/**
 * The feedback rollup's value for a stored score (SQL over the `feedback`
 * table): the feedback route's rollup and `llm-canary export` both use it.
 */
export const FEEDBACK_POSITIVE_SQL = "CASE WHEN score > 0 THEN 1 ELSE 0 END";
