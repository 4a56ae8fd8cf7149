/**
 * D1 schema (drizzle). `npm run db:generate` turns changes here into a new
 * SQL migration under `migrations/`. Every table is documented in the README
 * (Storage).
 *
 * Design: `ingest_keys` holds one key per ingested request id for the ingest
 * window (the idempotency ledger); `outcomes` holds the raw rows for a
 * shorter, configurable time (R2 keeps the archive). The rollup tables are
 * only ever incremented in the transaction that inserts the keys of the
 * events they count (checked by `ingest_guards`), so a redelivered event can
 * neither add a row nor count twice (docs/idempotent-ingest.md).
 */
import { sql } from "drizzle-orm";
import {
  check,
  index,
  integer,
  primaryKey,
  real,
  sqliteTable,
  text,
  type SQLiteColumn,
} from "drizzle-orm/sqlite-core";

export const outcomes = sqliteTable(
  "outcomes",
  {
    requestId: text("request_id").primaryKey(),
    ts: integer("ts").notNull(),
    minute: integer("minute").notNull(),
    routeId: text("route_id").notNull(),
    rolloutId: text("rollout_id").notNull().default(""),
    releaseId: text("release_id").notNull(),
    variant: text("variant", { enum: ["stable", "canary"] }).notNull(),
    configVersion: integer("config_version").notNull(),
    /** Start (epoch ms) of the rollout step the request was routed in; 0 without a rollout. */
    step: integer("step").notNull().default(0),
    weight: real("weight").notNull(),
    /** The logging rate of the request's arm (contracts/sampling.ts); 1 in rows older than it. */
    sampleRate: real("sample_rate").notNull().default(1),
    segment: text("segment"),
    country: text("country"),
    continent: text("continent"),
    region: text("region"),
    colo: text("colo"),
    cohort: text("cohort"),
    requestClass: text("request_class"),
    keyed: integer("keyed", { mode: "boolean" }).notNull(),
    /** Assignment-unit group (contracts/assignment.ts `unitGroup`); null in rows older than it. */
    unit: integer("unit"),
    path: text("path").notNull(),
    model: text("model").notNull(),
    stream: integer("stream", { mode: "boolean" }).notNull(),
    status: integer("status").notNull(),
    errorClass: text("error_class"),
    latencyMs: real("latency_ms").notNull(),
    ttfbMs: real("ttfb_ms"),
    ttftMs: real("ttft_ms"),
    inputTokens: integer("input_tokens"),
    outputTokens: integer("output_tokens"),
    tokensPerSec: real("tokens_per_sec"),
    finishReason: text("finish_reason"),
    streamCompleted: integer("stream_completed", { mode: "boolean" }),
    failover: integer("failover", { mode: "boolean" }).notNull(),
    promptHash: text("prompt_hash"),
    promptChars: integer("prompt_chars").notNull(),
    completionChars: integer("completion_chars").notNull(),
    /** JSON array of [metric, value, bin | null] triples. */
    metrics: text("metrics").notNull(),
    ingestBatch: text("ingest_batch").notNull(),
    ingestedAt: integer("ingested_at").notNull(),
  },
  (t) => [index("outcomes_route_ts").on(t.routeId, t.ts)],
);

/** What a rollup row is about below its route, rollout and time: arm, slice and metric. */
const sliceColumns = {
  releaseId: text("release_id").notNull(),
  variant: text("variant", { enum: ["stable", "canary"] }).notNull(),
  /** Dimension: all | segment | country | cohort | class. */
  dim: text("dim").notNull(),
  dimValue: text("dim_value").notNull(),
  metric: text("metric").notNull(),
};

/** The slice columns in primary-key order (after route, rollout and minute or step). */
const sliceKey = <T extends { [K in keyof typeof sliceColumns]: SQLiteColumn }>(t: T) => [
  t.variant,
  t.releaseId,
  t.dim,
  t.dimValue,
  t.metric,
];

/** Count, sum and sum of squares: what makes rollups mergeable. */
const sums = {
  n: integer("n").notNull(),
  sum: real("sum").notNull(),
  sumSq: real("sum_sq").notNull(),
};

const rollupKey = {
  minute: integer("minute").notNull(),
  routeId: text("route_id").notNull(),
  rolloutId: text("rollout_id").notNull(),
  ...sliceColumns,
};

/** Per-minute sums per (route, rollout, release, variant, dimension value, metric). */
export const rollupMetrics = sqliteTable(
  "rollup_metrics",
  {
    ...rollupKey,
    ...sums,
  },
  (t) => [primaryKey({ columns: [t.routeId, t.rolloutId, t.minute, ...sliceKey(t)] })],
);

/** Per-minute quantile-sketch bins (see `contracts/sketch.ts`) for sketched metrics. */
export const rollupBins = sqliteTable(
  "rollup_bins",
  {
    ...rollupKey,
    bin: integer("bin").notNull(),
    count: integer("count").notNull(),
  },
  (t) => [primaryKey({ columns: [t.routeId, t.rolloutId, t.minute, ...sliceKey(t), t.bin] })],
);

/**
 * Per-step aggregates, what the analyzer judges: one row per (route, rollout,
 * step, variant, release, dimension value, metric) holding the count, sums,
 * the count and sum per assignment-unit group and, for sketched metrics, the
 * whole sketch as a JSON object `{"<bin>": count}` (merged in SQL on upsert). Its size depends on slices and metrics, never on
 * traffic or time, so reading a step costs the same at any volume.
 * See docs/step-rollups.md.
 */
export const stepRollups = sqliteTable(
  "step_rollups",
  {
    routeId: text("route_id").notNull(),
    rolloutId: text("rollout_id").notNull(),
    /** The step's start, epoch ms (`rollout.stepStartedAt` of the routing config). */
    step: integer("step").notNull(),
    ...sliceColumns,
    ...sums,
    bins: text("bins"),
    /**
     * Count and sum per assignment-unit group as `{"<group>": [n, sum]}`
     * (merged in SQL on upsert); null when an increment had no unit. The
     * analyzer takes the variance between groups (analyzer/stats/clustered.ts).
     */
    groups: text("groups"),
    /**
     * Sketched metrics: counts per (unit group, coarse bin) as
     * `{"<groupBinKey>": count}` (contracts/sketch.ts), merged like `bins`;
     * null when an increment had no unit.
     */
    groupBins: text("group_bins"),
  },
  (t) => [primaryKey({ columns: [t.routeId, t.rolloutId, t.step, ...sliceKey(t)] })],
);

/**
 * Requests assigned per (route, rollout, step, arm, segment, unit group),
 * every request counted whether its outcome was logged or not
 * (contracts/assignment-counts.ts): the exact split the sample-ratio check
 * tests. Added to in the transaction that stores the count message's key in
 * `ingest_keys`. At most segments × 64 groups × 2 arms rows a step, whatever
 * the traffic. `segment` is the rule's name or `default`.
 */
export const stepAssignments = sqliteTable(
  "step_assignments",
  {
    routeId: text("route_id").notNull(),
    rolloutId: text("rollout_id").notNull(),
    step: integer("step").notNull(),
    releaseId: text("release_id").notNull(),
    variant: text("variant", { enum: ["stable", "canary"] }).notNull(),
    segment: text("segment").notNull(),
    unit: integer("unit").notNull(),
    n: integer("n").notNull(),
    /** Of `n`, the requests sampled in for logging: the outcome events the edge sent. */
    logged: integer("logged").notNull(),
  },
  (t) => [
    primaryKey({
      columns: [t.routeId, t.rolloutId, t.step, t.variant, t.releaseId, t.segment, t.unit],
    }),
  ],
);

/**
 * The exactly-once check of an ingest transaction: the consumer writes the
 * number of rows it aggregated and the number the insert actually stored; the
 * CHECK aborts the whole transaction when they differ (a request id was
 * stored meanwhile). The row is deleted again in the same transaction.
 */
export const ingestGuards = sqliteTable(
  "ingest_guards",
  {
    batch: text("batch").primaryKey(),
    expected: integer("expected").notNull(),
    inserted: integer("inserted").notNull(),
  },
  (t) => [check("ingest_guards_all_counted", sql`${t.inserted} = ${t.expected}`)],
);

/**
 * The idempotency ledger: one key per ingested event, the hour of its `ts`
 * and a signed 64-bit hash of its request id (worker/ingest/keys.ts), kept
 * for the ingest window (docs/idempotent-ingest.md › "A bounded ledger").
 * The migration creates it WITHOUT ROWID: about 19 bytes a key, measured,
 * instead of 43 with a rowid and its primary-key index.
 */
export const ingestKeys = sqliteTable(
  "ingest_keys",
  { hour: integer("hour").notNull(), key: integer("key").notNull() },
  (t) => [primaryKey({ columns: [t.hour, t.key] })],
);

/** Queue messages that could not be processed, with the reason. */
export const deadLetters = sqliteTable("dead_letters", {
  id: text("id").primaryKey(),
  queue: text("queue").notNull(),
  receivedAt: integer("received_at").notNull(),
  reason: text("reason").notNull(),
  body: text("body").notNull(),
});

/**
 * Every version of the routing config ever written: the history and the
 * serialization point for writers (insert of version N+1 fails if it exists).
 */
export const configVersions = sqliteTable("config_versions", {
  version: integer("version").primaryKey(),
  doc: text("doc").notNull(),
  actor: text("actor").notNull(),
  reason: text("reason").notNull(),
  /** seed | admin | analyzer | kv-direct */
  source: text("source").notNull(),
  createdAt: integer("created_at")
    .notNull()
    .default(sql`(unixepoch() * 1000)`),
});

/** Release ids seen in any config: a release id never changes origin or model. */
export const releases = sqliteTable("releases", {
  id: text("id").primaryKey(),
  originUrl: text("origin_url").notNull(),
  model: text("model").notNull(),
  firstVersion: integer("first_version").notNull(),
});

/** One row per cron invocation: the lease that makes a duplicate run a no-op. */
export const analyzerRuns = sqliteTable("analyzer_runs", {
  scheduledTime: integer("scheduled_time").primaryKey(),
  startedAt: integer("started_at").notNull(),
  finishedAt: integer("finished_at"),
  /** running | ok | error */
  status: text("status").notNull(),
  error: text("error"),
});

/** Every analyzer decision, with the full statistics record a person can read. */
export const decisions = sqliteTable(
  "decisions",
  {
    id: text("id").primaryKey(),
    at: integer("at").notNull(),
    scheduledTime: integer("scheduled_time").notNull(),
    routeId: text("route_id").notNull(),
    rolloutId: text("rollout_id"),
    /** hold | advance | promote | rollback | exclude_segment | freeze | stuck | error */
    action: text("action").notNull(),
    /** The decision changed the route (it would have, in dry-run). */
    changed: integer("changed", { mode: "boolean" }).notNull(),
    /** The change was written (false in dry-run or when a concurrent writer won). */
    applied: integer("applied", { mode: "boolean" }).notNull(),
    dryRun: integer("dry_run", { mode: "boolean" }).notNull(),
    versionBefore: integer("version_before").notNull(),
    versionAfter: integer("version_after"),
    /** One line for people: the action and its first reasons. */
    summary: text("summary").notNull(),
    /** JSON: reasons, verdicts (estimates, intervals, samples, method, threshold), SRM, window. */
    record: text("record").notNull(),
  },
  (t) => [index("decisions_route_at").on(t.routeId, t.at)],
);

/** The rollup key of a quality observation: where it counts in `rollup_metrics` and `step_rollups`. */
const qualityKey = {
  minute: integer("minute").notNull(),
  step: integer("step").notNull().default(0),
  routeId: text("route_id").notNull(),
  rolloutId: text("rollout_id").notNull().default(""),
  releaseId: text("release_id").notNull(),
  variant: text("variant", { enum: ["stable", "canary"] }).notNull(),
  segment: text("segment"),
  country: text("country"),
  cohort: text("cohort"),
  requestClass: text("request_class"),
  /**
   * The request's assignment-unit group (contracts/assignment.ts), so that
   * scores and feedback take their variance between unit groups as outcomes
   * do; null in rows stored before the column (their step rows keep no groups).
   */
  unit: integer("unit"),
};

/**
 * Sampled requests kept for evaluation: prompt and answer, redacted at the edge
 * (see worker/quality/redact.ts), deleted after `settings.sampleRetentionDays`.
 * `kind` is `sample` (one answer) or `pair` (stable answer plus the canary's
 * shadow answer to the same prompt).
 */
export const evalSamples = sqliteTable(
  "eval_samples",
  {
    requestId: text("request_id").notNull(),
    kind: text("kind", { enum: ["sample", "pair"] }).notNull(),
    ...qualityKey,
    prompt: text("prompt").notNull(),
    context: text("context"),
    answer: text("answer").notNull(),
    /** Pairs only: the canary's answer to the same request. */
    canaryAnswer: text("canary_answer"),
    canaryReleaseId: text("canary_release_id"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.requestId, t.kind] }),
    index("eval_samples_created_at").on(t.createdAt),
  ],
);

/**
 * One score per (request, evaluator, metric, arm). `metric` is the rollup
 * metric name (`toxicity`, `relevance`, `pairwise_win`, `eval_missing_<evaluator>`,
 * ...). Rows are added to `rollup_metrics` in the transaction that inserts them
 * (tagged with `eval_batch`), so a redelivered job never counts twice.
 */
export const evaluations = sqliteTable(
  "evaluations",
  {
    requestId: text("request_id").notNull(),
    evaluator: text("evaluator").notNull(),
    metric: text("metric").notNull(),
    ...qualityKey,
    value: real("value").notNull(),
    evalBatch: text("eval_batch").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.requestId, t.evaluator, t.metric, t.variant] }),
    index("evaluations_eval_batch").on(t.evalBatch),
  ],
);

/** Per-minute budget counters: evaluations (or shadow calls) started per key and minute. */
export const evalBudget = sqliteTable(
  "eval_budget",
  {
    /** Evaluator name, or `shadow:<route id>`. */
    key: text("key").notNull(),
    minute: integer("minute").notNull(),
    used: integer("used").notNull(),
  },
  (t) => [primaryKey({ columns: [t.key, t.minute] })],
);

/**
 * User feedback, one per request id (a second submission is refused). Counted
 * in `rollup_metrics` as `feedback_positive` in the inserting transaction.
 */
export const feedback = sqliteTable(
  "feedback",
  {
    requestId: text("request_id").primaryKey(),
    ...qualityKey,
    /** -1..1; a label is stored as 1 (positive) or -1 (negative). */
    score: real("score").notNull(),
    feedbackBatch: text("feedback_batch").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("feedback_batch").on(t.feedbackBatch)],
);
