/**
 * The routing config: the one JSON document in KV (key `ROUTING_CONFIG_KEY`) that
 * operators, the admin API and the analyzer edit, and that the edge routes by.
 *
 * Design: the document is validated as a whole; an invalid document never routes
 * traffic (the edge keeps its last valid copy). Weights are percentages with
 * 0.01 resolution because assignment uses 10,000 buckets. Release ids are
 * immutable names for (origin, model); the store enforces that across versions,
 * this schema enforces it within one document.
 */
import * as z from "zod";

/** Weight as a percentage, 0..100, in steps of 0.01 (one assignment bucket). */
export const WeightSchema = z
  .number()
  .min(0, "must be at least 0")
  .max(100, "must be at most 100")
  .refine((w) => Math.abs(Math.round(w * 100) - w * 100) < 1e-6, "must have at most 2 decimals");

/** Ids of routes, releases and segments: 1-128 chars of letters, digits, `. _ : -`. */
export const IdSchema = z
  .string()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9._:-]{0,127}$/, "must be 1-128 chars of letters, digits, . _ : -");

const SecretNameSchema = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]{0,63}$/, "must be an UPPER_SNAKE Worker secret name");

export const ReleaseSchema = z.strictObject({
  /** Immutable: a release id always means the same origin and model. */
  id: IdSchema,
  /** Base URL of the OpenAI-compatible origin, without the `/v1` suffix. */
  originUrl: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
  /** Upstream model name sent to the origin in place of the requested alias. */
  model: z.string().min(1).max(256),
  /** Name of the Worker secret holding the origin API key (never the key). */
  apiKeySecret: SecretNameSchema.optional(),
});
export type Release = z.infer<typeof ReleaseSchema>;

const CountryCode = z.string().regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 code, e.g. DE");
const ContinentCode = z.enum(["AF", "AN", "AS", "EU", "NA", "OC", "SA"]);
const ShortString = z.string().min(1).max(256);

export const SegmentMatchSchema = z
  .strictObject({
    countries: z.array(CountryCode).min(1).optional(),
    continents: z.array(ContinentCode).min(1).optional(),
    regions: z.array(ShortString).min(1).optional(),
    colos: z
      .array(z.string().regex(/^[A-Z]{3}$/, "must be a 3-letter colo code"))
      .min(1)
      .optional(),
    cohorts: z.array(ShortString).min(1).optional(),
    userKeys: z.array(ShortString).min(1).optional(),
    paths: z.array(z.string().startsWith("/", "must start with /")).min(1).optional(),
    models: z.array(ShortString).min(1).optional(),
    /** Header name (lower case) to accepted values. */
    headers: z
      .record(
        z.string().regex(/^[a-z0-9-]+$/, "header names must be lower case"),
        z.array(ShortString).min(1),
      )
      .optional(),
    stream: z.boolean().optional(),
  })
  .refine((m) => Object.keys(m).length > 0, "a segment must match on at least one field");
export type SegmentMatch = z.infer<typeof SegmentMatchSchema>;

export const SegmentRuleSchema = z.strictObject({
  name: IdSchema,
  match: SegmentMatchSchema,
  /** Canary weight for requests in this segment: 0 excludes, 100 forces. */
  weight: WeightSchema,
});
export type SegmentRule = z.infer<typeof SegmentRuleSchema>;

/** Names of evaluators: they become part of metric names (`eval_missing_<name>`). */
const EvaluatorNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,31}$/, "must be lower_snake, 1-32 chars, starting with a letter");

/**
 * A sampled-evaluation backend (see README "Quality signals"): an OpenAI-compatible
 * moderation endpoint, the Perspective API, or an OpenAI-compatible chat model used
 * as a judge. `url` is the base URL without the API path.
 */
export const EvaluatorSchema = z
  .strictObject({
    name: EvaluatorNameSchema,
    kind: z.enum(["moderation", "perspective", "judge"]),
    url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
    /** Name of the Worker secret holding the evaluator's API key. */
    apiKeySecret: SecretNameSchema.optional(),
    /** Judge only: the chat model to ask. */
    model: z.string().min(1).max(256).optional(),
    timeoutMs: z.int().min(100).max(120_000).default(10_000),
    /** Extra attempts after a failed call (connect error, timeout, 5xx, 429). */
    retries: z.int().min(0).max(5).default(2),
    /** Budget: evaluations started per minute, across all edges. */
    maxPerMinute: z.int().min(1).max(100_000).default(60),
  })
  .refine((e) => e.kind !== "judge" || e.model !== undefined, {
    message: "a judge evaluator must name its model",
    path: ["model"],
  });
export type Evaluator = z.infer<typeof EvaluatorSchema>;

const Fraction = z.number().min(0, "must be at least 0").max(1, "must be at most 1");

/** Per-route sampled evaluation and paired shadow judging (off when absent). */
export const EvaluationSchema = z.strictObject({
  /** Share of each variant's answered requests sent for evaluation. */
  sampleRate: z
    .strictObject({ stable: Fraction.default(0.01), canary: Fraction.default(0.1) })
    .default({ stable: 0.01, canary: 0.1 }),
  /** Names of top-level `evaluators` run on every sample. */
  evaluators: z.array(EvaluatorNameSchema).max(8).default([]),
  /** Replay a share of stable-routed requests on the canary and judge the pair. */
  shadow: z
    .strictObject({
      rate: Fraction,
      maxPerMinute: z.int().min(1).max(100_000),
    })
    .optional(),
});

export const RouteStateSchema = z.enum(["active", "paused", "promoted", "rolled_back"]);
export type RouteState = z.infer<typeof RouteStateSchema>;

/** Progressive-rollout state owned by the analyzer (operators may edit it too). */
export const RolloutSchema = z.strictObject({
  /** Canary weights of the steps, ascending, ending at 100. */
  steps: z.array(WeightSchema).min(1),
  stepIndex: z.int().min(0),
  /** ISO time the current step (and its weight) took effect. */
  stepStartedAt: z.iso.datetime(),
  /** ISO time the rollout of the current canary release started. */
  startedAt: z.iso.datetime(),
});

/**
 * Sampled outcome logging (contracts/sampling.ts, docs/capacity.md): the
 * canary arm is logged in full up to `canaryShare` percent of a route's
 * traffic, the stable arm at `stableMultiple` times the canary's count.
 */
export const LoggingSchema = z.strictObject({
  /** Stable events logged per canary event; 0 logs the stable arm at `minRate` only. */
  stableMultiple: z.number().min(0).max(1000).default(4),
  /** Most of a route's traffic (percent) the canary arm logs; 100 logs every canary request. */
  canaryShare: z.number().min(0.01).max(100).default(4),
  /** The stable arm's lowest logging rate (0..1), also its rate with no canary; 1 logs everything. */
  minRate: z.number().min(0.0001).max(1).default(0.01),
});

export const RouteSchema = z.strictObject({
  id: IdSchema,
  /** Requested model aliases this route serves (the `model` field of the request). */
  models: z.array(ShortString).min(1),
  /** Optional path allow-list (default: every `/v1/*` path). */
  paths: z.array(z.string().startsWith("/v1/", "must start with /v1/")).min(1).optional(),
  stable: ReleaseSchema,
  canary: ReleaseSchema.optional(),
  /** Default canary weight for requests no segment rule matches. */
  weight: WeightSchema,
  /** Ordered; the first matching rule overrides `weight`. */
  segments: z.array(SegmentRuleSchema).default([]),
  state: RouteStateSchema.default("active"),
  rollout: RolloutSchema.optional(),
  /** Analyzer policy overrides (validated by the analyzer). */
  policy: z.record(z.string(), z.unknown()).optional(),
  /** Sampled evaluations and shadow judging (see README "Quality signals"). */
  evaluation: EvaluationSchema.optional(),
  /** Overrides of `settings.logging` for this route (a low-traffic route may log everything). */
  logging: LoggingSchema.partial().optional(),
});
export type Route = z.infer<typeof RouteSchema>;

export const SettingsSchema = z.strictObject({
  /** Requests with a larger body get 413 before any upstream call. */
  maxBodyBytes: z
    .int()
    .min(1024)
    .max(100 * 1024 * 1024)
    .default(1024 * 1024),
  /** Time allowed for an origin's response headers. */
  headerTimeoutMs: z.int().min(100).max(600_000).default(30_000),
  /** Longest silence allowed inside a streamed response. */
  streamIdleTimeoutMs: z.int().min(100).max(600_000).default(30_000),
  /** Retry a canary that fails before its first byte once on stable. */
  failover: z.boolean().default(true),
  /**
   * How old an isolate's assignment counts (the exact split the SRM test
   * reads) may get before they are sent: one queue message per active
   * isolate and interval (docs/capacity.md › "Assignment counts"). Shorter
   * means fresher counts and more messages.
   */
  assignmentCountsIntervalMs: z.int().min(1000).max(300_000).default(10_000),
  /** Inline quality signals (see README "Quality signals"). */
  quality: z
    .strictObject({
      /** Replaces the default refusal phrase list (matched at the start of answers). */
      refusalPhrases: z.array(z.string().min(3).max(200)).max(200).optional(),
    })
    .default({}),
  /** Days a sampled prompt and answer are kept in `eval_samples`. */
  sampleRetentionDays: z.int().min(1).max(365).default(7),
  /** Which outcomes are logged (every route; a route's `logging` overrides fields). */
  logging: LoggingSchema.default(LoggingSchema.parse({})),
});

export const RoutingConfigSchema = z
  .strictObject({
    version: z.int().min(1),
    settings: SettingsSchema.default(SettingsSchema.parse({})),
    /** Evaluation backends that routes name in `evaluation.evaluators`. */
    evaluators: z.array(EvaluatorSchema).max(16).optional(),
    routes: z.array(RouteSchema).min(1),
  })
  .superRefine((cfg, ctx) => {
    checkEvaluators(cfg, ctx);
    const routeIds = new Set<string>();
    const aliases = new Map<string, string>();
    const releases = new Map<string, Release>();
    cfg.routes.forEach((route, i) => {
      if (routeIds.has(route.id)) {
        ctx.addIssue({
          code: "custom",
          path: ["routes", i, "id"],
          message: `duplicate route id "${route.id}"`,
        });
      }
      routeIds.add(route.id);
      route.models.forEach((m, j) => {
        const owner = aliases.get(m);
        if (owner !== undefined && owner !== route.id) {
          ctx.addIssue({
            code: "custom",
            path: ["routes", i, "models", j],
            message: `model alias "${m}" is already served by route "${owner}"`,
          });
        }
        aliases.set(m, route.id);
      });
      for (const key of ["stable", "canary"] as const) {
        const rel = route[key];
        if (!rel) continue;
        const seen = releases.get(rel.id);
        if (seen && (seen.originUrl !== rel.originUrl || seen.model !== rel.model)) {
          ctx.addIssue({
            code: "custom",
            path: ["routes", i, key, "id"],
            message: `release "${rel.id}" is immutable but appears with a different origin or model`,
          });
        }
        releases.set(rel.id, rel);
      }
      if (route.canary && route.canary.id === route.stable.id) {
        ctx.addIssue({
          code: "custom",
          path: ["routes", i, "canary", "id"],
          message: "canary and stable must be different releases",
        });
      }
      if (route.rollout && route.rollout.stepIndex >= route.rollout.steps.length) {
        ctx.addIssue({
          code: "custom",
          path: ["routes", i, "rollout", "stepIndex"],
          message: `must be below the number of steps (${route.rollout.steps.length})`,
        });
      }
      const names = new Set<string>();
      route.segments.forEach((s, j) => {
        if (names.has(s.name)) {
          ctx.addIssue({
            code: "custom",
            path: ["routes", i, "segments", j, "name"],
            message: `duplicate segment name "${s.name}"`,
          });
        }
        names.add(s.name);
      });
    });
  });
export type RoutingConfig = z.infer<typeof RoutingConfigSchema>;

/** Evaluator names are unique, routes name only defined ones, shadow judging has a judge. */
function checkEvaluators(
  cfg: { evaluators?: Evaluator[] | undefined; routes: Route[] },
  ctx: z.RefinementCtx,
): void {
  const kinds = new Map<string, Evaluator["kind"]>();
  (cfg.evaluators ?? []).forEach((e, i) => {
    if (kinds.has(e.name)) {
      ctx.addIssue({
        code: "custom",
        path: ["evaluators", i, "name"],
        message: `duplicate evaluator name "${e.name}"`,
      });
    }
    kinds.set(e.name, e.kind);
  });
  cfg.routes.forEach((route, i) => {
    const ev = route.evaluation;
    if (!ev) return;
    ev.evaluators.forEach((name, j) => {
      if (!kinds.has(name)) {
        ctx.addIssue({
          code: "custom",
          path: ["routes", i, "evaluation", "evaluators", j],
          message: `unknown evaluator "${name}" (define it in the top-level evaluators)`,
        });
      }
    });
    if (ev.shadow && !ev.evaluators.some((name) => kinds.get(name) === "judge")) {
      ctx.addIssue({
        code: "custom",
        path: ["routes", i, "evaluation", "shadow"],
        message: "shadow judging needs a judge evaluator in evaluation.evaluators",
      });
    }
  });
}
export type RoutingConfigInput = z.input<typeof RoutingConfigSchema>;

export type ConfigParseResult =
  | { ok: true; config: RoutingConfig }
  | { ok: false; reason: "invalid_json" | "invalid_schema"; errors: string[] };

/** Formats zod issues as `path.to.field: problem` lines. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    return `${path || "(root)"}: ${issue.message}`;
  });
}

/**
 * Parses and validates a routing config from text or an already-parsed value.
 *
 * @example
 * const r = parseRoutingConfig(await env.CONFIG.get(ROUTING_CONFIG_KEY));
 * if (!r.ok) console.warn(r.errors.join("; "));
 */
export function parseRoutingConfig(input: string | unknown): ConfigParseResult {
  let value: unknown = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch (e) {
      return {
        ok: false,
        reason: "invalid_json",
        errors: [`(root): not JSON (${(e as Error).message})`],
      };
    }
  }
  const parsed = RoutingConfigSchema.safeParse(value);
  if (!parsed.success)
    return { ok: false, reason: "invalid_schema", errors: describeIssues(parsed.error) };
  return { ok: true, config: parsed.data };
}

/** The canary weight in force for a route, honouring its state. */
export function effectiveRouteWeight(route: Route): number {
  if (!route.canary) return 0;
  switch (route.state) {
    case "rolled_back":
    case "promoted":
      return 0;
    case "active":
    case "paused":
      return route.weight;
  }
}

/**
 * The key of a route's current rollout step in the per-step aggregates: the
 * step's start in epoch ms, or 0 without a rollout. The edge stamps it on every
 * outcome and the analyzer reads the aggregates under it, so both use this.
 *
 * @example
 * rolloutStep({ ...route, rollout: { ...r, stepStartedAt: "2026-11-27T10:00:00.000Z" } });
 * // 1795773600000
 */
export function rolloutStep(route: Pick<Route, "rollout">): number {
  if (!route.rollout) return 0;
  const t = Date.parse(route.rollout.stepStartedAt);
  return Number.isFinite(t) && t > 0 ? t : 0;
}
