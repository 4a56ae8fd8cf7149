/**
 * The outcome event: one per client request, sent by the edge to the outcome
 * queue and written to D1 by the consumer. This is the contract between the
 * request path and the analysis path; bump `v` for incompatible changes.
 *
 * Design: the event carries both the raw facts (for export and audit) and a
 * flat list of named numeric `metrics`, which is what rollups and the analyzer
 * consume. A new metric is a new name in that list, not a schema change.
 */
import * as z from "zod";
import { UNIT_GROUPS } from "./assignment";

export const VariantSchema = z.enum(["stable", "canary"]);
export type Variant = z.infer<typeof VariantSchema>;

export const ErrorClassSchema = z.enum([
  "connect", // origin unreachable
  "timeout", // no response headers within the header timeout
  "http_5xx",
  "http_429",
  "http_4xx",
  "stream_cut", // stream ended without [DONE] / finish
  "stream_stall", // stream idle longer than the idle timeout
  "stream_error", // malformed SSE or an in-band error event
  "client_abort",
  "circuit_open", // the release asked us to back off (429 Retry-After); not called
  "internal",
]);
export type ErrorClass = z.infer<typeof ErrorClassSchema>;

const nullableNumber = z.number().finite().nullable();
const nullableString = (max: number) => z.string().max(max).nullable();

/** Metric names are lower_snake; values are finite numbers. */
export const MetricNameSchema = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/);

export const OutcomeEventSchema = z.strictObject({
  v: z.literal(1),
  requestId: z.string().min(1).max(128),
  /** Request start, epoch milliseconds. */
  ts: z.int().min(0),
  routeId: z.string().min(1).max(128),
  /** Release that served (or was meant to serve) this request. */
  releaseId: z.string().min(1).max(128),
  /** Variant the request was assigned to. */
  variant: VariantSchema,
  /** The canary release under rollout when the request was assigned (null: none). */
  rolloutId: nullableString(128),
  configVersion: z.int().min(0),
  /**
   * Start (epoch ms) of the route's rollout step in the config the request was
   * routed with, 0 without a rollout: the key of the per-step aggregates the
   * analyzer judges. Optional for events from edges older than this field.
   */
  step: z.int().min(0).default(0),
  /** Canary weight applied to this request (percent). */
  weight: z.number().min(0).max(100),
  /**
   * The logging rate of this request's arm (contracts/sampling.ts): the
   * event stands for 1 / sampleRate requests, which its `requests` metric
   * carries. Optional for events from edges that logged everything.
   */
  sampleRate: z.number().gt(0).max(1).default(1),
  /** Name of the segment rule that matched, null for the route default. */
  segment: nullableString(128),
  country: nullableString(8),
  continent: nullableString(8),
  region: nullableString(128),
  colo: nullableString(8),
  cohort: nullableString(128),
  requestClass: nullableString(128),
  keyed: z.boolean(),
  /**
   * The request's assignment-unit group (`unitGroup` of the user key, or of
   * the request id without one; contracts/assignment.ts). Optional for
   * events from edges older than this field: they count as their own unit.
   */
  unit: z
    .int()
    .min(0)
    .max(UNIT_GROUPS - 1)
    .optional(),
  path: z.string().max(256),
  model: z.string().max(256),
  stream: z.boolean(),
  /** HTTP status the client received. */
  status: z.int().min(0).max(999),
  /** Failure of the assigned variant, null when it answered well. */
  errorClass: ErrorClassSchema.nullable(),
  latencyMs: z.number().min(0),
  ttfbMs: nullableNumber,
  ttftMs: nullableNumber,
  inputTokens: z.int().min(0).nullable(),
  outputTokens: z.int().min(0).nullable(),
  tokensPerSec: nullableNumber,
  finishReason: nullableString(64),
  /** Streams only: reached [DONE] (true) or was cut (false). */
  streamCompleted: z.boolean().nullable(),
  /** The canary failed before its first byte and stable answered instead. */
  failover: z.boolean(),
  promptHash: nullableString(128),
  promptChars: z.int().min(0),
  completionChars: z.int().min(0),
  /** Named numeric observations rolled up per minute (see `metricsFor`). */
  metrics: z.record(MetricNameSchema, z.number().finite()),
});
export type OutcomeEvent = z.infer<typeof OutcomeEventSchema>;

/** Metrics whose rollups also keep a quantile sketch. */
export const SKETCHED_METRICS = ["latency_ms", "ttft_ms", "overhead_ms"] as const;
