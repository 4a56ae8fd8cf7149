/**
 * Boundary parsing shared by the admin routes: JSON bodies, the audit
 * `reason`, `If-Match` versions and zod validation with field-naming errors.
 * Every failure is an `ApiError`, so clients get OpenAI-shaped errors.
 */
import type { Context } from "hono";
import type * as z from "zod";
import { describeIssues } from "../../contracts/config";
import { ApiError } from "../errors";

export const REASON_MAX = 500;

/** 422 listing every problem as `path.to.field: problem`. */
export function validationError(errors: string[], code = "validation_failed"): ApiError {
  return new ApiError(422, "invalid_request_error", code, errors.join("; "), { errors });
}

/** The parsed JSON body; an empty body is `{}`. */
export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(400, "invalid_request_error", "invalid_json", "The body is not valid JSON.");
  }
}

/** The body as a JSON object (422 naming the root otherwise). */
export async function readObject(c: Context): Promise<Record<string, unknown>> {
  const body = await readJson(c);
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw validationError(["(root): must be a JSON object"]);
  return body as Record<string, unknown>;
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw validationError(describeIssues(r.error));
  return r.data;
}
type ReasonResult = { ok: true; reason: string } | { ok: false; error: string };

/**
 * The write's reason: the body's `reason` field, else the `x-reason` header.
 * Control characters become spaces; required, at most 500 characters.
 */
export function reasonOf(c: Context, body: Record<string, unknown>): ReasonResult {
  const raw = body.reason ?? c.req.header("x-reason");
  if (raw !== undefined && typeof raw !== "string")
    return { ok: false, error: "reason: must be a string" };
  const reason = [...(raw ?? "")]
    .map((ch) => (ch < " " || ch === "\u007f" ? " " : ch))
    .join("")
    .trim();
  if (reason === "")
    return {
      ok: false,
      error: 'reason: required (a "reason" body field or an x-reason header) for every write',
    };
  if (reason.length > REASON_MAX)
    return { ok: false, error: `reason: must be at most ${REASON_MAX} characters` };
  return { ok: true, reason };
}

/**
 * A write's body validated by `schema`, and its reason; one 422 lists every
 * problem of both.
 */
export function parseWrite<S extends z.ZodType>(
  c: Context,
  schema: S,
  body: Record<string, unknown>,
): { data: z.infer<S>; reason: string } {
  const { reason: _documentedInSchema, ...rest } = body;
  const parsed = schema.safeParse(rest);
  const reason = reasonOf(c, body);
  const errors = [
    ...(parsed.success ? [] : describeIssues(parsed.error)),
    ...(reason.ok ? [] : [reason.error]),
  ];
  if (!parsed.success || !reason.ok) throw validationError(errors);
  return { data: parsed.data, reason: reason.reason };
}

/**
 * The config version of `If-Match` (`7`, `"7"` or `W/"7"`). Missing: 428 when
 * required, else null.
 */
export function ifMatch(c: Context, required: boolean): number | null {
  const raw = c.req.header("if-match");
  if (raw === undefined || raw.trim() === "") {
    if (!required) return null;
    throw new ApiError(
      428,
      "invalid_request_error",
      "precondition_required",
      "If-Match: <version> is required; read the current version with GET /admin/config.",
    );
  }
  const m = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(raw);
  if (!m)
    throw new ApiError(
      400,
      "invalid_request_error",
      "invalid_if_match",
      "If-Match must be a config version number, e.g. If-Match: 7.",
    );
  return Number(m[1]);
}

/** The `ETag` for a config version. */
export function etag(version: number): string {
  return `"${version}"`;
}
