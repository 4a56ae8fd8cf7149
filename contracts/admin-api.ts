/**
 * The admin API's answers, one schema per response. The edge's route
 * descriptors (`worker/admin/api.ts`) publish them in the OpenAPI document,
 * the integration tests parse every real answer with them, and the CLI checks
 * what it reads with them at its boundary. Loose on purpose: the fields a
 * client renders are required, unknown fields pass through untouched (so
 * `--json` prints the API's JSON as is and a newer edge with more fields
 * still works with an older CLI).
 */
import * as z from "zod";

const Release = z.looseObject({ id: z.string(), originUrl: z.string(), model: z.string() });

const Segment = z.looseObject({
  name: z.string(),
  weight: z.number(),
  match: z.record(z.string(), z.unknown()).default({}),
});

export const RouteViewSchema = z.looseObject({
  id: z.string(),
  stable: Release,
  canary: Release.optional(),
  weight: z.number(),
  segments: z.array(Segment).default([]),
  state: z.string(),
  rollout: z
    .looseObject({
      steps: z.array(z.number()),
      stepIndex: z.number(),
      stepStartedAt: z.string(),
      startedAt: z.string(),
    })
    .optional(),
});
export type RouteView = z.infer<typeof RouteViewSchema>;

export const ConfigResponseSchema = z.looseObject({
  version: z.number(),
  config: z.looseObject({ routes: z.array(RouteViewSchema) }).nullable(),
  health: z.unknown().optional(),
});
export type ConfigResponse = z.infer<typeof ConfigResponseSchema>;

const Num = z.number().nullable();

export const VerdictViewSchema = z.looseObject({
  metric: z.string(),
  stat: z.string().optional(),
  critical: z.boolean().optional(),
  slice: z.looseObject({ dim: z.string(), value: z.string() }),
  verdict: z.string(),
  stable: z.looseObject({ n: z.number(), estimate: Num }),
  canary: z.looseObject({ n: z.number(), estimate: Num }),
  effect: z.looseObject({ kind: z.string(), estimate: Num, lower: Num, upper: Num }),
  threshold: z
    .looseObject({ kind: z.string(), value: z.number(), direction: z.string(), limit: z.number() })
    .optional(),
});
export type VerdictView = z.infer<typeof VerdictViewSchema>;

/** The statistics record of a decision; anything else reads as no verdicts. */
export const DecisionRecordSchema = z.looseObject({
  reasons: z.array(z.string()).default([]),
  verdicts: z.array(VerdictViewSchema).default([]),
});

export const DecisionViewSchema = z.looseObject({
  id: z.string(),
  at: z.number(),
  routeId: z.string(),
  rolloutId: z.string().nullable(),
  action: z.string(),
  changed: z.boolean(),
  applied: z.boolean(),
  dryRun: z.boolean(),
  versionBefore: z.number(),
  versionAfter: z.number().nullable(),
  summary: z.string(),
  record: z.unknown(),
});
export type DecisionView = z.infer<typeof DecisionViewSchema>;

export const DecisionsResponseSchema = z.looseObject({ decisions: z.array(DecisionViewSchema) });

export const HistoryEntrySchema = z.looseObject({
  version: z.number(),
  actor: z.string(),
  reason: z.string(),
  source: z.string(),
  createdAt: z.string(),
  changes: z.array(z.string()),
});
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;

export const HistoryResponseSchema = z.looseObject({ versions: z.array(HistoryEntrySchema) });

export const ActionResponseSchema = z.looseObject({
  changed: z.boolean(),
  version: z.number(),
  route: RouteViewSchema,
});
export type ActionResponse = z.infer<typeof ActionResponseSchema>;

/** Every error: OpenAI-shaped (`worker/errors.ts`). */
export const ErrorResponseSchema = z.looseObject({
  error: z.looseObject({
    message: z.string(),
    type: z.string(),
    code: z.string(),
    errors: z.array(z.string()).optional(),
    currentVersion: z.number().int().optional(),
  }),
});

/** A config write (PUT / PATCH): the version written and its document. */
export const WriteResponseSchema = z.looseObject({
  version: z.number().int(),
  config: z.looseObject({ routes: z.array(RouteViewSchema) }),
});

const Quantiles = z.looseObject({ p50: Num, p95: Num });
const ArmSummary = z.looseObject({
  requests: z.number(),
  errors: z.number(),
  errorRate: Num,
  latencyMs: Quantiles,
  ttftMs: Quantiles,
  tokensPerSec: Num,
});

export const MetricsResponseSchema = z.looseObject({
  routes: z.array(
    z.looseObject({
      routeId: z.string(),
      state: z.string(),
      weight: z.number(),
      stable: z.string(),
      canary: z.string().nullable(),
      stepIndex: z.number().nullable(),
      from: z.string(),
      to: z.string(),
      unavailableDims: z
        .array(z.string())
        .describe(
          "Dimensions this view has no slices for: with from/to, those MINUTE_ROLLUP_DIMS keeps no per-minute rows of (their slices are absent, not empty); the current step keeps every dimension",
        ),
      slices: z.array(
        z.looseObject({
          slice: z.string(),
          dim: z.string(),
          value: z.string(),
          stable: ArmSummary,
          canary: ArmSummary,
        }),
      ),
    }),
  ),
});

const Point = z.looseObject({ t: z.number(), v: z.number(), n: z.number() });

export const SeriesResponseSchema = z.looseObject({
  routeId: z.string(),
  rolloutId: z.string().nullable(),
  stable: z.string(),
  canary: z.string().nullable(),
  from: z.string(),
  to: z.string(),
  bucketMs: z.number(),
  series: z.array(
    z.looseObject({
      metric: z.string(),
      kind: z.string(),
      unit: z.string(),
      stable: z.array(Point),
      canary: z.array(Point),
    }),
  ),
});

export type SeriesResponse = z.infer<typeof SeriesResponseSchema>;

/** `GET /admin/openapi.json`: an OpenAPI 3.1 document. */
export const OpenApiResponseSchema = z.looseObject({
  openapi: z.string(),
  paths: z.record(z.string(), z.unknown()),
});

/**
 * `GET /admin/archive/outcomes` answers NDJSON (one `OutcomeEvent` a line,
 * contracts/outcome.ts), not JSON; while more pages follow, this header holds
 * the cursor of the next.
 */
export const ARCHIVE_CURSOR_HEADER = "x-llm-canary-next-cursor";
