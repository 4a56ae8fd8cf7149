/**
 * What one evaluator made of one sample: named scores, or the reason there
 * are none. Every reason counts as missing (`eval_missing_<evaluator>`),
 * never as a pass.
 */

export type MissingReason =
  | "failed" // the call failed after its retries
  | "unparseable" // the evaluator answered something we could not read strictly
  | "over_budget" // the evaluator's per-minute budget was spent
  | "unknown_evaluator"; // the config no longer defines it (or it has the wrong kind)

export type Scores =
  | { ok: true; metrics: Record<string, number> }
  | { ok: false; reason: MissingReason; detail: string };

export const missing = (reason: MissingReason, detail: string): Scores => ({
  ok: false,
  reason,
  detail,
});
