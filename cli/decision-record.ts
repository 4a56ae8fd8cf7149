/**
 * Reading a decision's statistics record (the admin API's `record` field) for
 * the CLI's views. The record is free-form JSON for the API; these read only
 * what the views render and treat anything else as empty.
 */
import * as z from "zod";
import { DecisionRecordSchema, type DecisionView, type VerdictView } from "../contracts/admin-api";

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
