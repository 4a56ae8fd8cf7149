/**
 * Request schemas of the admin API. They validate bodies and queries at the
 * boundary and are the source of the OpenAPI document (`openapi.ts`).
 */
import * as z from "zod";
import { IdSchema, ReleaseSchema, WeightSchema } from "../../contracts/config";
import { PolicySchema, SLICE_DIMS } from "../../analyzer";
import { REASON_MAX } from "./request";

const Reason = z
  .string()
  .min(1)
  .max(REASON_MAX)
  .describe("Why the change is made (recorded in the history); or the x-reason header");

/** The analyzer's own rules for steps: ascending, ending at 100. */
const Steps = PolicySchema.shape.steps.unwrap();

export const WeightBodySchema = z.strictObject({
  weight: WeightSchema,
  /** A segment rule's name: sets that rule's weight instead of the route default. */
  segment: z.string().min(1).max(128).optional(),
  reason: Reason.optional(),
});

export const ActionBodySchema = z.strictObject({ reason: Reason.optional() });

export const ReleaseBodySchema = z.strictObject({
  canary: ReleaseSchema,
  /** Starting weight; default: the first step. */
  weight: WeightSchema.optional(),
  /** Rollout steps; default: the route's policy steps (1, 5, 10, 25, 50, 100 unless set). */
  steps: Steps.optional(),
  reason: Reason.optional(),
});

const Limit = (max: number, dflt: number) => z.coerce.number().int().min(1).max(max).default(dflt);
const RouteId = IdSchema;

export const HistoryQuerySchema = z.strictObject({ limit: Limit(200, 20) });

export const DecisionsQuerySchema = z.strictObject({
  route: RouteId.optional(),
  action: z
    .string()
    .regex(/^[a-z_]{1,32}$/, "must be an action name, e.g. rollback")
    .optional(),
  limit: Limit(500, 50),
});

/** Epoch milliseconds or an ISO date-time. */
const Instant = z
  .string()
  .transform((s, ctx) => {
    const ms = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: "custom", message: "must be epoch milliseconds or an ISO date-time" });
      return z.NEVER;
    }
    return ms;
  })
  .meta({ type: "string", description: "epoch milliseconds or ISO 8601" });

const WindowQuerySchema = z.strictObject({
  route: RouteId.optional(),
  from: Instant.optional(),
  to: Instant.optional(),
});

export const MetricsQuerySchema = WindowQuerySchema.extend({
  /** Only this dimension's slices. */
  dim: z.enum(SLICE_DIMS).optional(),
});

const SeriesName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "must be a metric name");

export const SeriesQuerySchema = WindowQuerySchema.extend({
  route: WindowQuerySchema.shape.route.unwrap(),
  /** Comma-separated series names; default: the standard ones plus observed quality metrics. */
  metric: z
    .string()
    .transform((s) => s.split(",").map((m) => m.trim()))
    .pipe(z.array(SeriesName).min(1).max(20))
    .optional(),
});

/** `GET /admin/archive/outcomes`: a route's archived events in [since, until). */
export const ArchiveQuerySchema = z.strictObject({
  route: RouteId,
  /** Default: the oldest archived hour of the route. */
  since: Instant.optional(),
  /** Default: now. */
  until: Instant.optional(),
  /** The next page's start, from the previous page's cursor header. */
  cursor: z
    .string()
    .regex(/^\d{1,16}$/, "must be the cursor header of the previous page")
    .transform(Number)
    .optional(),
});
