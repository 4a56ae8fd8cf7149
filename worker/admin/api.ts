/**
 * One descriptor per admin operation: method, path, query, body and response
 * schemas, the headers it reads and the errors it can answer. The routers
 * register their handlers through `on` with these descriptors (so a handler
 * cannot live at a path the document does not name), the handlers parse with
 * the descriptors' schemas, and `openapi.ts` builds the document from them.
 * A test compares the Hono app's registered routes with this list.
 */
import type { Handler, Hono, Env as HonoEnv } from "hono";
import type * as z from "zod";
import {
  ActionResponseSchema,
  ConfigResponseSchema,
  DecisionsResponseSchema,
  HistoryResponseSchema,
  MetricsResponseSchema,
  OpenApiResponseSchema,
  SeriesResponseSchema,
  WriteResponseSchema,
} from "../../contracts/admin-api";
import { RoutingConfigSchema } from "../../contracts/config";
import {
  ActionBodySchema,
  ArchiveQuerySchema,
  DecisionsQuerySchema,
  HistoryQuerySchema,
  MetricsQuerySchema,
  ReleaseBodySchema,
  SeriesQuerySchema,
  WeightBodySchema,
} from "./schemas";

export type Method = "get" | "put" | "patch" | "post";

/** Headers an operation reads; each has one documented meaning. */
export type HeaderParam = "if-match" | "if-match-required" | "x-reason" | "x-actor";

/** Who may call: admin credentials (default), also the dashboard session, or anyone. */
export type Access = "admin" | "admin-or-session" | "public";

/** A success answer that is not JSON (HTML pages, redirects, Prometheus text). */
export interface RawAnswer {
  status: number;
  description: string;
  contentType?: string;
}

export interface AdminOperation {
  method: Method;
  /** OpenAPI path template, e.g. `/admin/routes/{id}/weight`. */
  path: string;
  summary: string;
  description?: string;
  access?: Access;
  headers?: readonly HeaderParam[];
  query?: z.ZodObject;
  /** A JSON body and whether it is required. */
  body?: { schema: z.ZodType; required: boolean; name: string };
  /** Content types accepted besides `application/json`. */
  bodyAlso?: readonly string[];
  /** A form body (`application/x-www-form-urlencoded`) with these fields. */
  form?: { required: readonly string[]; optional: readonly string[] };
  /** The 200 JSON body. */
  response?: { schema: z.ZodType; name: string; description: string };
  /** Answers that are not JSON (in place of `response`). */
  raw?: readonly RawAnswer[];
  /** Error answers besides 401 and 503: status → when. */
  errors?: Readonly<Record<string, string>>;
}

const WRITE_ERRORS = {
  "400": "Malformed JSON or If-Match",
  "409": "version_conflict (with currentVersion), invalid_state, no_canary or no_config",
  "422": "Validation failed; `errors` lists `path: problem` lines",
} as const;

const ROUTE_ACTION_ERRORS = {
  ...WRITE_ERRORS,
  "404": "Unknown route (route_not_found) or segment (segment_not_found)",
} as const;

const ACTION_RESULT = {
  schema: ActionResponseSchema,
  name: "ActionResult",
  description: "Done (changed: false when the route already was in that state)",
};
const WRITE_RESULT = { schema: WriteResponseSchema, name: "WriteResult", description: "Written" };
const ACTION_HEADERS = ["if-match", "x-reason", "x-actor"] as const;

function routeAction<B extends NonNullable<AdminOperation["body"]>>(
  verb: string,
  summary: string,
  body: B,
) {
  return {
    method: "post",
    path: `/admin/routes/{id}/${verb}`,
    summary,
    headers: ACTION_HEADERS,
    body,
    response: ACTION_RESULT,
    errors: ROUTE_ACTION_ERRORS,
  } as const satisfies AdminOperation;
}

/** A GET with a query: 422 for a bad query; with `unknownRoute404`, 404 for a route that does not exist. */
function read<Q extends z.ZodObject, R extends NonNullable<AdminOperation["response"]>>(
  path: string,
  summary: string,
  query: Q,
  response: R,
  more: { description?: string; unknownRoute404?: boolean } = {},
) {
  return {
    method: "get",
    path,
    summary,
    ...(more.description ? { description: more.description } : {}),
    query,
    response,
    errors: more.unknownRoute404 ? READ_ERRORS_BY_ROUTE : READ_ERRORS,
  } as const satisfies AdminOperation;
}

const READ_ERRORS = { "422": "Invalid query" } as const;
const READ_ERRORS_BY_ROUTE = { ...READ_ERRORS, "404": "Unknown route" } as const;

const ACTION_BODY = { schema: ActionBodySchema, required: false, name: "ActionBody" } as const;

/** Every operation of the admin API and `/metrics`. */
export const ADMIN_API = {
  getConfig: {
    method: "get",
    path: "/admin/config",
    summary: "The newest config version, its document and this isolate's config health",
    response: {
      schema: ConfigResponseSchema,
      name: "ConfigResult",
      description: "Current config; ETag is the version",
    },
  },
  putConfig: {
    method: "put",
    path: "/admin/config",
    summary: "Replace the config (compare-and-set)",
    description:
      "The body is the whole routing config; a top-level `reason` field is taken as the reason and not stored in the document. `version` is set by the store.",
    headers: ["if-match-required", "x-reason", "x-actor"],
    body: { schema: RoutingConfigSchema, required: true, name: "RoutingConfig" },
    response: WRITE_RESULT,
    errors: { ...WRITE_ERRORS, "428": "If-Match is missing (precondition_required)" },
  },
  patchConfig: {
    method: "patch",
    path: "/admin/config",
    summary: "Change the config with a JSON merge patch (RFC 7386, compare-and-set)",
    description: "Objects merge, null deletes, arrays (routes, segments) are replaced whole.",
    headers: ["if-match-required", "x-reason", "x-actor"],
    bodyAlso: ["application/merge-patch+json"],
    response: WRITE_RESULT,
    errors: { ...WRITE_ERRORS, "428": "If-Match is missing (precondition_required)" },
  },
  setWeight: routeAction(
    "weight",
    "Set the route's default canary weight, or a segment rule's weight",
    { schema: WeightBodySchema, required: true, name: "WeightBody" },
  ),
  pause: routeAction("pause", "Pause: weights frozen, the analyzer stops acting", ACTION_BODY),
  resume: routeAction("resume", "Resume a paused route", ACTION_BODY),
  promote: routeAction("promote", "Promote the canary to stable", ACTION_BODY),
  rollback: routeAction(
    "rollback",
    "Roll the canary back (re-applied on conflict, so it wins over concurrent writes; If-Match is ignored)",
    ACTION_BODY,
  ),
  startRelease: routeAction(
    "releases",
    "Start a new canary release: canary, weight (default first step), state active, a fresh rollout",
    { schema: ReleaseBodySchema, required: true, name: "ReleaseBody" },
  ),
  history: read(
    "/admin/history",
    "Config versions, newest first, with actor, reason, source and changes",
    HistoryQuerySchema,
    { schema: HistoryResponseSchema, name: "HistoryResult", description: "Versions" },
  ),
  decisions: read(
    "/admin/decisions",
    "Analyzer decisions, newest first, with their full statistics records",
    DecisionsQuerySchema,
    { schema: DecisionsResponseSchema, name: "DecisionsResult", description: "Decisions" },
  ),
  metrics: read(
    "/admin/metrics",
    "Per route, slice and variant: requests, error rate, latency and TTFT quantiles, tokens/s",
    MetricsQuerySchema,
    { schema: MetricsResponseSchema, name: "MetricsResult", description: "Summaries" },
    {
      description:
        "Without from/to: the current rollout step (the analyzer's own aggregates); otherwise the per-minute rollups of the window.",
      unknownRoute404: true,
    },
  ),
  series: read(
    "/admin/series",
    "Canary vs stable per time bucket for one route (the dashboard's charts), at most 90 points per series",
    SeriesQuerySchema,
    { schema: SeriesResponseSchema, name: "SeriesResult", description: "Series" },
    {
      description:
        "Default window: the hour before `to`; at most 7 days. `metric`: comma-separated requests, error_rate, latency_p50|p95|p99, ttft_p50|p95|p99, or a quality metric name (mean); default: the standard ones plus every observed quality metric.",
      unknownRoute404: true,
    },
  ),
  archiveOutcomes: {
    method: "get",
    path: "/admin/archive/outcomes",
    summary:
      "A route's archived outcome events from R2 as NDJSON, each request once, in (ts, requestId) order, one page per call",
    description:
      "A page covers part of one UTC hour (at most a few thousand events). While more follow, the answer carries the next page's cursor in the x-llm-canary-next-cursor header: pass it as `cursor` with the same route, since and until.",
    query: ArchiveQuerySchema,
    raw: [
      {
        status: 200,
        description: "Events, one JSON line each",
        contentType: "application/x-ndjson",
      },
    ],
    errors: { "404": "No ARCHIVE bucket is bound (archive_not_bound)", "422": "Invalid query" },
  },
  openapi: {
    method: "get",
    path: "/admin/openapi.json",
    summary: "This document",
    response: { schema: OpenApiResponseSchema, name: "OpenApi", description: "OpenAPI 3.1" },
  },
  dashboard: {
    method: "get",
    path: "/admin/dashboard",
    summary:
      "The dashboard (HTML); without credentials the sign-in form (401). Accepts the session cookie or an Access JWT",
    access: "admin-or-session",
    raw: [
      { status: 200, description: "The dashboard page", contentType: "text/html" },
      { status: 401, description: "The sign-in form", contentType: "text/html" },
    ],
  },
  signIn: {
    method: "post",
    path: "/admin/session",
    summary:
      "Dashboard sign-in: the admin token (form field `token`, optional `actor`) for an HttpOnly, SameSite=Strict session cookie; 303 to the dashboard",
    access: "public",
    form: { required: ["token"], optional: ["actor"] },
    raw: [
      {
        status: 303,
        description: "Signed in; Set-Cookie holds the signed session (never the token)",
      },
      { status: 401, description: "Wrong token: the sign-in form again", contentType: "text/html" },
      { status: 403, description: "Cross-origin sign-in refused", contentType: "text/html" },
    ],
  },
  signOut: {
    method: "post",
    path: "/admin/session/logout",
    summary: "Dashboard sign-out: deletes the session cookie; 303 to the dashboard",
    access: "public",
    raw: [{ status: 303, description: "Signed out" }],
  },
  prometheus: {
    method: "get",
    path: "/metrics",
    summary: "Prometheus text exposition (same credentials as /admin)",
    raw: [{ status: 200, description: "Metrics", contentType: "text/plain" }],
  },
} as const satisfies Record<string, AdminOperation>;

/** The Hono path of `op` inside a router mounted at `mount` (`{id}` → `:id`). */
export function honoPath(op: AdminOperation, mount: string): string {
  if (!op.path.startsWith(mount))
    throw new Error(`${op.method} ${op.path} cannot be served by a router mounted at ${mount}`);
  const rest = op.path.slice(mount.length).replace(/\{(\w+)\}/g, ":$1");
  return rest === "" ? "/" : rest;
}

/**
 * Registers `handlers` for `op` on `router`, mounted at `mount`.
 *
 * @example
 * on(routes, "/admin", ADMIN_API.history, async (c) => c.json(await history(c)));
 */
export function on<E extends HonoEnv>(
  router: Hono<E>,
  mount: string,
  op: AdminOperation,
  ...handlers: Handler<E>[]
): void {
  router.on([op.method.toUpperCase()], [honoPath(op, mount)], ...handlers);
}
