/**
 * `POST /v1/feedback`: a user's verdict on one answer, authorised by the
 * signed token the edge returned with it (`x-canary-feedback-token`). Forged,
 * tampered, expired or misdirected tokens get 401; a second submission for a
 * request gets 409. Counted as `feedback_positive` under the release and
 * variant that answered.
 */
import { unitGroup } from "../../contracts/assignment";
import type { Context } from "hono";
import * as z from "zod";
import { describeIssues } from "../../contracts/config";
import { secretNamed } from "../../contracts/secrets";
import { storageSettings } from "../../contracts/storage";
import { drizzle } from "drizzle-orm/d1";
import { ApiError } from "../errors";
import type { AppEnv } from "../types";
import { storeFeedback } from "./store";
import { verifyFeedbackToken, type FeedbackClaims } from "./token";

export const FeedbackBodySchema = z
  .strictObject({
    request_id: z.string().min(1).max(128),
    token: z.string().min(1).max(4096),
    score: z.number().min(-1).max(1).optional(),
    label: z.enum(["positive", "negative"]).optional(),
  })
  .refine((b) => (b.score === undefined) !== (b.label === undefined), {
    message: "give exactly one of score (-1..1) or label (positive | negative)",
    path: ["score"],
  });

/** The signing key, or null when feedback is not configured. */
export function feedbackKey(env: Env): string | null {
  return secretNamed(env, "FEEDBACK_SIGNING_KEY");
}

const REFUSED: Record<string, string> = {
  malformed: "The feedback token is malformed.",
  bad_signature: "The feedback token is not valid.",
  expired: "The feedback token has expired.",
  wrong_request: "The feedback token belongs to another request.",
};

export async function postFeedback(c: Context<AppEnv>): Promise<Response> {
  const key = feedbackKey(c.env);
  if (key === null) {
    throw new ApiError(404, "not_found_error", "feedback_disabled", "Feedback is not enabled.");
  }
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new ApiError(400, "invalid_request_error", "invalid_json", "The body must be JSON.");
  }
  const parsed = FeedbackBodySchema.safeParse(raw);
  if (!parsed.success) {
    throw new ApiError(
      400,
      "invalid_request_error",
      "invalid_feedback",
      describeIssues(parsed.error).join("; "),
    );
  }
  const body = parsed.data;
  const now = Date.now();
  const verified = await verifyFeedbackToken(body.token, key, body.request_id, now);
  if (!verified.ok) {
    throw new ApiError(
      401,
      "authentication_error",
      `token_${verified.reason}`,
      REFUSED[verified.reason]!,
    );
  }
  const score = body.score ?? (body.label === "positive" ? 1 : -1);
  const stored = await storeFeedback(
    drizzle(c.env.DB),
    feedbackRow(verified.claims, score),
    now,
    storageSettings(c.env).settings.minuteRollupDims,
  );
  if (!stored) {
    throw new ApiError(
      409,
      "conflict_error",
      "feedback_exists",
      "Feedback for this request was already recorded.",
    );
  }
  return c.json({ request_id: body.request_id, recorded: true }, 201);
}

/** The `feedback` row of verified claims; counted in the minute the request was served. */
export function feedbackRow(claims: FeedbackClaims, score: number) {
  return {
    requestId: claims.r,
    minute: Math.floor(claims.iat / 60),
    step: claims.st ?? 0,
    routeId: claims.route,
    rolloutId: claims.ro,
    releaseId: claims.rel,
    variant: claims.var,
    segment: claims.seg,
    country: claims.c,
    cohort: claims.co,
    requestClass: claims.cl,
    unit: claims.u ?? unitGroup(claims.r),
    score,
  };
}
