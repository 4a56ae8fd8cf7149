/**
 * The one error type of the edge and its OpenAI-shaped rendering
 * (`{ error: { message, type, code } }`), so any OpenAI SDK surfaces it well.
 * 5xx messages are generic; details go to logs, never to clients.
 */
import type { ErrorHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export type ApiErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "not_found_error"
  | "conflict_error"
  | "rate_limit_error"
  | "server_error";

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly type: ApiErrorType,
    readonly code: string,
    message: string,
    /** Extra fields merged into the error object (never secrets). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function errorBody(
  type: ApiErrorType,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
) {
  return { error: { message, type, code, ...extra } };
}

/** Hono `onError`: ApiError as is, anything else as a generic 500 with the detail logged. */
export const onError: ErrorHandler = (err, c) => {
  const requestId = c.res.headers.get("x-request-id") ?? c.req.header("x-request-id") ?? null;
  if (err instanceof ApiError) {
    return c.json(errorBody(err.type, err.code, err.message, err.extra), err.status);
  }
  console.error(
    JSON.stringify({
      msg: "unhandled error",
      requestId,
      error: String(err),
      stack: (err as Error).stack,
    }),
  );
  return c.json(
    errorBody("server_error", "internal_error", "The edge failed to handle the request."),
    500,
  );
};
