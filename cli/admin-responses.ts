/**
 * Shapes of the admin API answers the CLI reads, checked at the boundary.
 * Loose on purpose: only the fields the CLI renders are required, unknown
 * fields pass through untouched (so `--json` prints the API's JSON as is and
 * a newer edge with more fields still works).
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

/** What the record tells an operator to do (`to act: ...` reasons: stuck, persistent SRM). */
export function adviceOf(decision: DecisionView): string[] {
  const r = z.looseObject({ reasons: z.array(z.string()) }).safeParse(decision.record);
  return r.success ? r.data.reasons.filter((x) => x.startsWith("to act:")) : [];
}

/** The verdicts of a decision's record (none when the record is not a statistics record). */
export function verdictsOf(decision: DecisionView): VerdictView[] {
  const r = DecisionRecordSchema.safeParse(decision.record);
  return r.success ? r.data.verdicts : [];
}
