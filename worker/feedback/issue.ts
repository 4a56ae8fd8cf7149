/**
 * The `x-canary-feedback-token` of a routed response, when the deployment has
 * a `FEEDBACK_SIGNING_KEY`. Claims name the release and variant that actually
 * answered (stable after a failover), so feedback judges the answer the user saw.
 */
import { unitGroup } from "../../contracts/assignment";
import { rolloutStep, type Release } from "../../contracts/config";
import type { RequestFacts } from "../routing/facts";
import type { RoutePlan } from "../routing/plan";
import { signFeedbackToken } from "./token";

export const FEEDBACK_TOKEN_HEADER = "x-canary-feedback-token";

export async function issueFeedbackToken(
  key: string | null,
  input: { requestId: string; plan: RoutePlan; served: Release; facts: RequestFacts; now: number },
): Promise<string | null> {
  if (key === null) return null;
  const { plan, served, facts } = input;
  return signFeedbackToken(
    {
      r: input.requestId,
      route: plan.route.id,
      rel: served.id,
      var: served === plan.stable ? "stable" : plan.variant,
      ro: plan.route.canary?.id ?? "",
      seg: plan.segment,
      c: facts.country,
      co: facts.cohort,
      cl: facts.requestClass,
      iat: Math.floor(input.now / 1000),
      st: rolloutStep(plan.route),
      u: unitGroup(facts.userKey ?? input.requestId),
    },
    key,
  );
}
