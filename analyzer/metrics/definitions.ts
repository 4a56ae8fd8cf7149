/**
 * Metric definitions: which observed metric to compare, by which statistic,
 * in which direction and how far the canary may drift. Definitions are data
 * (validated here), so quality metrics added later (refusal, toxicity,
 * relevance, ...) need a new entry, not new code.
 *
 * Thresholds: `absolute` is in the metric's own unit on the canary − stable
 * difference (0.01 on a 0/1 rate = one percentage point); `relative` is a
 * fraction on the canary/stable ratio (0.2 = 20% worse).
 */
import * as z from "zod";
import { MetricNameSchema } from "../../contracts/outcome";
import { QUALITY_METRICS } from "../../contracts/quality";

export const MetricStatSchema = z.enum(["rate", "mean", "p50", "p95", "p99"]);
export type MetricStat = z.infer<typeof MetricStatSchema>;

export const DirectionSchema = z.enum(["higher_is_worse", "lower_is_worse"]);
export type Direction = z.infer<typeof DirectionSchema>;

export const MetricDefinitionSchema = z
  .strictObject({
    /** Name of the check in verdicts and reasons, e.g. `latency_p95`. */
    name: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "must be lower_snake, at most 64 chars"),
    /** Observed metric it reads (`contracts/metrics.ts` names or quality metrics). */
    source: MetricNameSchema,
    stat: MetricStatSchema,
    direction: DirectionSchema,
    threshold: z.strictObject({
      kind: z.enum(["absolute", "relative"]),
      value: z.number().positive("must be positive"),
    }),
    /** Critical metrics gate advancement and trigger rollback or exclusion. */
    critical: z.boolean().default(false),
    /** Samples each arm needs before any verdict (default depends on the stat). */
    minSamples: z.int().min(1).optional(),
    /**
     * Gates only once observed: with no samples in either arm (a signal the
     * route does not produce, such as toxicity without evaluators) the metric
     * is reported insufficient but neither holds the rollout nor takes a share
     * of the alpha budget. Any observation makes it gate like any other.
     */
    optional: z.boolean().default(false),
  })
  .refine(
    (d) =>
      !(d.threshold.kind === "relative" && d.direction === "lower_is_worse") ||
      d.threshold.value < 1,
    {
      message: "a relative threshold for lower_is_worse must be below 1",
      path: ["threshold", "value"],
    },
  );
export type MetricDefinition = z.infer<typeof MetricDefinitionSchema>;
export type MetricDefinitionInput = z.input<typeof MetricDefinitionSchema>;

/** Quantile of a quantile stat, null for rate and mean. */
export function quantileOf(stat: MetricStat): number | null {
  switch (stat) {
    case "p50":
      return 0.5;
    case "p95":
      return 0.95;
    case "p99":
      return 0.99;
    case "rate":
    case "mean":
      return null;
  }
}

/**
 * The sources judged by a quantile: the only metrics whose per-group coarse
 * bins (`step_rollups.group_bins`) a verdict reads.
 *
 * @example quantileSources(DEFAULT_METRICS); // Set { "latency_ms", "ttft_ms" }
 */
export function quantileSources(metrics: readonly MetricDefinition[]): Set<string> {
  return new Set(metrics.filter((m) => quantileOf(m.stat) !== null).map((m) => m.source));
}

/**
 * Samples per arm before a verdict when a definition sets none: enough for the
 * normal approximation of means and for rank bounds that can exclude the tail
 * (a p99 bound needs a few hundred samples before it is finite).
 */
export function defaultMinSamples(stat: MetricStat): number {
  switch (stat) {
    case "rate":
      return 200;
    case "mean":
      return 100;
    case "p50":
    case "p95":
      return 200;
    case "p99":
      return 1000;
  }
}

const rate = (name: string, source: string, critical = false): MetricDefinitionInput => ({
  name,
  source,
  stat: "rate",
  direction: "higher_is_worse",
  threshold: { kind: "absolute", value: 0.01 },
  critical,
});

const quantile = (
  source: string,
  stat: "p50" | "p95" | "p99",
  critical = false,
): MetricDefinitionInput => ({
  name: `${source.replace(/_ms$/, "")}_${stat}`,
  source,
  stat,
  direction: "higher_is_worse",
  threshold: { kind: "relative", value: 0.2 },
  critical,
});

/**
 * Quality checks (README "Quality signals" explains each default). All are
 * optional: a route without JSON requests, evaluators, shadow judging or
 * feedback has no such data, and that must not hold its rollouts. Sampled
 * and paired metrics need fewer samples than request-level ones (they are a
 * sample); rates are Laplace-smoothed, so 100 all-zero samples still carry variance.
 */
const quality = (
  name: string,
  source: string,
  stat: "rate" | "mean",
  direction: "higher_is_worse" | "lower_is_worse",
  absolute: number,
  extra: { critical?: boolean; minSamples?: number } = {},
): MetricDefinitionInput => ({
  name,
  source,
  stat,
  direction,
  threshold: { kind: "absolute", value: absolute },
  critical: extra.critical ?? false,
  optional: true,
  ...(extra.minSamples !== undefined ? { minSamples: extra.minSamples } : {}),
});

export const QUALITY_DEFAULTS: MetricDefinitionInput[] = [
  // Inline, on every answer.
  quality("refusal_rate", "refusal", "rate", "higher_is_worse", 0.02),
  quality("truncation_rate", "truncated", "rate", "higher_is_worse", 0.02),
  quality("json_valid_rate", "json_valid", "rate", "lower_is_worse", 0.02, { critical: true }),
  quality("repetition_mean", "repetition", "mean", "higher_is_worse", 0.05),
  quality("mean_logprob", "mean_logprob", "mean", "lower_is_worse", 0.1),
  // Sampled evaluations.
  quality("toxicity_rate", QUALITY_METRICS.toxicity, "rate", "higher_is_worse", 0.02, {
    critical: true,
    minSamples: 100,
  }),
  quality("hallucination_rate", QUALITY_METRICS.hallucination, "rate", "higher_is_worse", 0.05, {
    critical: true,
    minSamples: 100,
  }),
  quality("relevance_mean", QUALITY_METRICS.relevance, "mean", "lower_is_worse", 0.25, {
    minSamples: 100,
  }),
  quality("coherence_mean", QUALITY_METRICS.coherence, "mean", "lower_is_worse", 0.25, {
    minSamples: 100,
  }),
  // User feedback and paired shadow judging.
  quality(
    "feedback_positive_rate",
    QUALITY_METRICS.feedbackPositive,
    "rate",
    "lower_is_worse",
    0.05,
    {
      minSamples: 100,
    },
  ),
  quality("pairwise_win_rate", QUALITY_METRICS.pairwiseWin, "mean", "lower_is_worse", 0.1, {
    minSamples: 50,
  }),
];

/**
 * The default checks: error rate and p95 latency are critical, and so are
 * JSON validity, toxicity and hallucination once a route produces them.
 *
 * No failover check: only a canary request can fail over (stable has
 * nothing to fail over to), so a canary-vs-stable failover rate differs in
 * every A/A with failover on, and failed-over requests already count as
 * canary errors in `error_rate`. The `failover` metric stays in the rollups,
 * `/metrics` and the dashboard.
 */
export const DEFAULT_METRICS: MetricDefinition[] = [
  rate("error_rate", "error", true),
  rate("stream_cut_rate", "stream_cut"),
  rate("rate_429", "rate_429"),
  quantile("latency_ms", "p50"),
  quantile("latency_ms", "p95", true),
  quantile("latency_ms", "p99"),
  quantile("ttft_ms", "p50"),
  quantile("ttft_ms", "p95"),
  {
    name: "tokens_per_sec",
    source: "tokens_per_sec",
    stat: "mean",
    direction: "lower_is_worse",
    threshold: { kind: "relative", value: 0.2 },
    critical: false,
  },
  ...QUALITY_DEFAULTS,
].map((d) => MetricDefinitionSchema.parse(d));
