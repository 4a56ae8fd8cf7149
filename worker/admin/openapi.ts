/**
 * `GET /admin/openapi.json`: an OpenAPI 3.1 description of the admin API and
 * `/metrics`. Request bodies come from the same zod schemas that validate
 * them (`z.toJSONSchema`, JSON Schema 2020-12 as OpenAPI 3.1 uses), so the
 * document cannot drift from the validation; the rest is written here.
 */
import { Hono } from "hono";
import * as z from "zod";
import { ReleaseSchema, RoutingConfigSchema } from "../../contracts/config";
import type { AdminEnv } from "./context";
import { ActionBodySchema, ReleaseBodySchema, WeightBodySchema } from "./schemas";

type Json = Record<string, unknown>;

function jsonSchema(schema: z.ZodType): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io: "input",
    unrepresentable: "any",
  }) as Json;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json) => ({ "application/json": { schema } });
const ok = (description: string, schema: Json = { type: "object" }) => ({
  description,
  content: json(schema),
});
const error = (description: string) => ({ description, content: json(ref("Error")) });

const COMMON_ERRORS = {
  "401": error("Missing or invalid credentials (authentication_error)"),
  "503": error("The admin API is disabled: no credentials are configured (admin_disabled)"),
};
const WRITE_ERRORS = {
  ...COMMON_ERRORS,
  "400": error("Malformed JSON or If-Match"),
  "409": error("version_conflict (with currentVersion), invalid_state, no_canary or no_config"),
  "422": error("Validation failed; `errors` lists `path: problem` lines"),
};

const routeId = { name: "id", in: "path", required: true, schema: { type: "string" } };
const ifMatchOptional = {
  name: "If-Match",
  in: "header",
  required: false,
  description: "Config version the change is based on; 409 when it is not the newest",
  schema: { type: "string" },
};
const reasonHeader = {
  name: "x-reason",
  in: "header",
  required: false,
  description: "The write's reason when the body has no `reason` field",
  schema: { type: "string", maxLength: 500 },
};
const actorHeader = {
  name: "x-actor",
  in: "header",
  required: false,
  description: "Audit actor for token auth (printable ASCII, at most 64 characters)",
  schema: { type: "string" },
};
const query = (name: string, description: string, schema: Json = { type: "string" }) => ({
  name,
  in: "query",
  required: false,
  description,
  schema,
});

const writeResult = ok("Written", ref("WriteResult"));
const actionResult = ok(
  "Done (changed: false when the route already was in that state)",
  ref("ActionResult"),
);

function routeAction(summary: string, body: string, extra: Json = {}): Json {
  return {
    post: {
      summary,
      parameters: [routeId, ifMatchOptional, reasonHeader, actorHeader],
      requestBody: { required: false, content: json(ref(body)) },
      responses: {
        "200": actionResult,
        "404": error("Unknown route (route_not_found) or segment (segment_not_found)"),
        ...WRITE_ERRORS,
      },
      ...extra,
    },
  };
}

/** The OpenAPI document (built once per isolate). */
export function openApiDocument(): Json {
  return {
    openapi: "3.1.0",
    info: {
      title: "llm-canary admin API",
      version: "1",
      description:
        "Read and change the routing config with compare-and-set (If-Match), act on routes, read history, decisions and metrics. Every write needs a reason and is recorded with its actor.",
    },
    security: [{ bearerAuth: [] }, { accessJwt: [] }],
    components: {
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", description: "The ADMIN_TOKEN secret" },
        accessJwt: {
          type: "apiKey",
          in: "header",
          name: "Cf-Access-Jwt-Assertion",
          description: "A Cloudflare Access JWT (when ACCESS_TEAM_DOMAIN and ACCESS_AUD are set)",
        },
        sessionCookie: {
          type: "apiKey",
          in: "cookie",
          name: "llm_canary_session",
          description:
            "The dashboard's signed session (from POST /admin/session); writes also need the x-llm-canary-csrf header the page embeds",
        },
      },
      schemas: {
        Error: {
          type: "object",
          required: ["error"],
          properties: {
            error: {
              type: "object",
              required: ["message", "type", "code"],
              properties: {
                message: { type: "string" },
                type: { type: "string" },
                code: { type: "string" },
                errors: { type: "array", items: { type: "string" } },
                currentVersion: { type: "integer" },
              },
            },
          },
        },
        RoutingConfig: jsonSchema(RoutingConfigSchema),
        Release: jsonSchema(ReleaseSchema),
        WeightBody: jsonSchema(WeightBodySchema),
        ActionBody: jsonSchema(ActionBodySchema),
        ReleaseBody: jsonSchema(ReleaseBodySchema),
        WriteResult: {
          type: "object",
          properties: { version: { type: "integer" }, config: ref("RoutingConfig") },
        },
        ActionResult: {
          type: "object",
          properties: {
            changed: { type: "boolean" },
            version: { type: "integer" },
            route: { type: "object" },
          },
        },
      },
    },
    paths: {
      "/admin/config": {
        get: {
          summary: "The newest config version, its document and this isolate's config health",
          responses: { "200": ok("Current config; ETag is the version"), ...COMMON_ERRORS },
        },
        put: {
          summary: "Replace the config (compare-and-set)",
          description:
            "The body is the whole routing config; a top-level `reason` field is taken as the reason and not stored in the document. `version` is set by the store.",
          parameters: [
            {
              ...ifMatchOptional,
              required: true,
              description: "The version read (0 for the first)",
            },
            reasonHeader,
            actorHeader,
          ],
          requestBody: { required: true, content: json(ref("RoutingConfig")) },
          responses: {
            "200": writeResult,
            "428": error("If-Match is missing (precondition_required)"),
            ...WRITE_ERRORS,
          },
        },
        patch: {
          summary: "Change the config with a JSON merge patch (RFC 7386, compare-and-set)",
          description: "Objects merge, null deletes, arrays (routes, segments) are replaced whole.",
          parameters: [{ ...ifMatchOptional, required: true }, reasonHeader, actorHeader],
          requestBody: {
            required: true,
            content: {
              "application/merge-patch+json": { schema: { type: "object" } },
              "application/json": { schema: { type: "object" } },
            },
          },
          responses: {
            "200": writeResult,
            "428": error("If-Match is missing (precondition_required)"),
            ...WRITE_ERRORS,
          },
        },
      },
      "/admin/routes/{id}/weight": routeAction(
        "Set the route's default canary weight, or a segment rule's weight",
        "WeightBody",
      ),
      "/admin/routes/{id}/pause": routeAction(
        "Pause: weights frozen, the analyzer stops acting",
        "ActionBody",
      ),
      "/admin/routes/{id}/resume": routeAction("Resume a paused route", "ActionBody"),
      "/admin/routes/{id}/promote": routeAction("Promote the canary to stable", "ActionBody"),
      "/admin/routes/{id}/rollback": routeAction(
        "Roll the canary back (re-applied on conflict, so it wins over concurrent writes; If-Match is ignored)",
        "ActionBody",
      ),
      "/admin/routes/{id}/releases": routeAction(
        "Start a new canary release: canary, weight (default first step), state active, a fresh rollout",
        "ReleaseBody",
      ),
      "/admin/history": {
        get: {
          summary: "Config versions, newest first, with actor, reason, source and changes",
          parameters: [query("limit", "1-200, default 20", { type: "integer" })],
          responses: { "200": ok("Versions"), ...COMMON_ERRORS },
        },
      },
      "/admin/decisions": {
        get: {
          summary: "Analyzer decisions, newest first, with their full statistics records",
          parameters: [
            query("route", "Route id"),
            query(
              "action",
              "hold, advance, promote, rollback, exclude_segment, freeze, stuck, error",
            ),
            query("limit", "1-500, default 50", { type: "integer" }),
          ],
          responses: { "200": ok("Decisions"), ...COMMON_ERRORS },
        },
      },
      "/admin/metrics": {
        get: {
          summary:
            "Per route, slice and variant: requests, error rate, latency and TTFT quantiles, tokens/s",
          parameters: [
            query("route", "Route id"),
            query("from", "Window start (epoch ms or ISO 8601); default: the current step's start"),
            query("to", "Window end (epoch ms or ISO 8601); default: now"),
          ],
          responses: {
            "200": ok("Summaries"),
            "404": error("Unknown route"),
            ...COMMON_ERRORS,
          },
        },
      },
      "/admin/series": {
        get: {
          summary:
            "Canary vs stable per time bucket for one route (the dashboard's charts), at most 90 points per series",
          parameters: [
            { ...query("route", "Route id"), required: true },
            query("from", "Window start (epoch ms or ISO 8601); default: an hour before `to`"),
            query(
              "to",
              "Window end (epoch ms or ISO 8601); default: now; at most 7 days after `from`",
            ),
            query(
              "metric",
              "Comma-separated: requests, error_rate, latency_p50|p95|p99, ttft_p50|p95|p99, or a quality metric name (mean); default: the standard ones plus every observed quality metric",
            ),
          ],
          responses: {
            "200": ok("Series: { metric, kind, unit, stable: [{ t, v, n }], canary: [...] }"),
            "404": error("Unknown route"),
            ...COMMON_ERRORS,
          },
        },
      },
      "/admin/dashboard": {
        get: {
          summary:
            "The dashboard (HTML); without credentials the sign-in form (401). Accepts the session cookie or an Access JWT",
          security: [{ bearerAuth: [] }, { accessJwt: [] }, { sessionCookie: [] }],
          responses: {
            "200": { description: "The dashboard page", content: { "text/html": {} } },
            "401": { description: "The sign-in form", content: { "text/html": {} } },
          },
        },
      },
      "/admin/session": {
        post: {
          summary:
            "Dashboard sign-in: the admin token (form field `token`, optional `actor`) for an HttpOnly, SameSite=Strict session cookie; 303 to the dashboard",
          security: [],
          requestBody: {
            required: true,
            content: {
              "application/x-www-form-urlencoded": {
                schema: {
                  type: "object",
                  required: ["token"],
                  properties: { token: { type: "string" }, actor: { type: "string" } },
                },
              },
            },
          },
          responses: {
            "303": {
              description: "Signed in; Set-Cookie holds the signed session (never the token)",
            },
            "401": {
              description: "Wrong token: the sign-in form again",
              content: { "text/html": {} },
            },
            "403": { description: "Cross-origin sign-in refused", content: { "text/html": {} } },
          },
        },
      },
      "/admin/session/logout": {
        post: {
          summary: "Dashboard sign-out: deletes the session cookie; 303 to the dashboard",
          security: [],
          responses: { "303": { description: "Signed out" } },
        },
      },
      "/admin/openapi.json": {
        get: {
          summary: "This document",
          responses: { "200": ok("OpenAPI 3.1"), ...COMMON_ERRORS },
        },
      },
      "/metrics": {
        get: {
          summary: "Prometheus text exposition (same credentials as /admin)",
          responses: {
            "200": {
              description: "Metrics",
              content: { "text/plain": { schema: { type: "string" } } },
            },
            ...COMMON_ERRORS,
          },
        },
      },
    },
  };
}

let cached: Json | null = null;

export const openApiRoutes = new Hono<AdminEnv>();

openApiRoutes.get("/openapi.json", (c) => c.json((cached ??= openApiDocument())));
