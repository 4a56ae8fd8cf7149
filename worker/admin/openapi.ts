/**
 * `GET /admin/openapi.json`: an OpenAPI 3.1 description of the admin API and
 * `/metrics`, generated from the operation descriptors (`api.ts`) that the
 * routers register their handlers with. Query parameters, request bodies and
 * responses come from the same zod schemas that parse them
 * (`z.toJSONSchema`, JSON Schema 2020-12 as OpenAPI 3.1 uses); only the
 * security schemes and the header meanings are written here.
 */
import { Hono } from "hono";
import * as z from "zod";
import { ErrorResponseSchema } from "../../contracts/admin-api";
import { ADMIN_API, on, type AdminOperation, type HeaderParam } from "./api";
import type { AdminEnv } from "./context";

type Json = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: "input" | "output"): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io,
    unrepresentable: "any",
  }) as Json;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json) => ({ "application/json": { schema } });
const error = (description: string) => ({ description, content: json(ref("Error")) });

const AUTH_ERRORS = {
  "401": "Missing or invalid credentials (authentication_error)",
  "503": "The admin API is disabled: no credentials are configured (admin_disabled)",
};

const HEADERS: Record<HeaderParam, Json> = {
  "if-match": {
    name: "If-Match",
    in: "header",
    required: false,
    description: "Config version the change is based on; 409 when it is not the newest",
    schema: { type: "string" },
  },
  "if-match-required": {
    name: "If-Match",
    in: "header",
    required: true,
    description: "The version read (0 for the first); 409 when it is not the newest",
    schema: { type: "string" },
  },
  "x-reason": {
    name: "x-reason",
    in: "header",
    required: false,
    description: "The write's reason when the body has no `reason` field",
    schema: { type: "string", maxLength: 500 },
  },
  "x-actor": {
    name: "x-actor",
    in: "header",
    required: false,
    description: "Audit actor for token auth (printable ASCII, at most 64 characters)",
    schema: { type: "string" },
  },
};

function parameters(op: AdminOperation): Json[] {
  const path = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: "path",
    required: true,
    schema: { type: "string" },
  }));
  const query: Json[] = [];
  if (op.query) {
    const s = jsonSchema(op.query, "input") as { properties?: Json; required?: string[] };
    for (const [name, schema] of Object.entries(s.properties ?? {})) {
      const { description, ...rest } = schema as Json;
      query.push({
        name,
        in: "query",
        required: s.required?.includes(name) ?? false,
        ...(description !== undefined ? { description } : {}),
        schema: rest,
      });
    }
  }
  return [...path, ...query, ...(op.headers ?? []).map((h) => HEADERS[h])];
}

function requestBody(op: AdminOperation, schemas: Json): Json | undefined {
  if (op.form) {
    const properties = Object.fromEntries(
      [...op.form.required, ...op.form.optional].map((f) => [f, { type: "string" }]),
    );
    const schema = { type: "object", required: op.form.required, properties };
    return { required: true, content: { "application/x-www-form-urlencoded": { schema } } };
  }
  const also = Object.fromEntries(
    (op.bodyAlso ?? []).map((t) => [t, { schema: { type: "object" } }]),
  );
  if (op.body) {
    schemas[op.body.name] = jsonSchema(op.body.schema, "input");
    return { required: op.body.required, content: { ...json(ref(op.body.name)), ...also } };
  }
  if (op.bodyAlso) return { required: true, content: { ...also, ...json({ type: "object" }) } };
  return undefined;
}

function responses(op: AdminOperation, schemas: Json): Json {
  const out: Json = {};
  if (op.response) {
    schemas[op.response.name] = jsonSchema(op.response.schema, "output");
    out["200"] = { description: op.response.description, content: json(ref(op.response.name)) };
  }
  for (const r of op.raw ?? [])
    out[String(r.status)] = {
      description: r.description,
      ...(r.contentType ? { content: { [r.contentType]: { schema: { type: "string" } } } } : {}),
    };
  const errors = { ...(op.access === "public" ? {} : AUTH_ERRORS), ...op.errors };
  for (const [status, when] of Object.entries(errors)) out[status] ??= error(when);
  return out;
}

const SECURITY = {
  admin: undefined,
  "admin-or-session": [{ bearerAuth: [] }, { accessJwt: [] }, { sessionCookie: [] }],
  public: [],
} as const;

/** The OpenAPI document of `operations` (built once per isolate for the route). */
export function openApiDocument(
  operations: readonly AdminOperation[] = Object.values(ADMIN_API),
): Json {
  const schemas: Json = { Error: jsonSchema(ErrorResponseSchema, "output") };
  const paths: Record<string, Json> = {};
  for (const op of operations) {
    const body = requestBody(op, schemas);
    const params = parameters(op);
    const security = SECURITY[op.access ?? "admin"];
    (paths[op.path] ??= {})[op.method] = {
      operationId: Object.entries(ADMIN_API).find(([, o]) => o === op)?.[0],
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      ...(params.length > 0 ? { parameters: params } : {}),
      ...(body ? { requestBody: body } : {}),
      responses: responses(op, schemas),
      ...(security ? { security } : {}),
    };
  }
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
      schemas,
    },
    paths,
  };
}

let cached: Json | null = null;

export const openApiRoutes = new Hono<AdminEnv>();

on(openApiRoutes, "/admin", ADMIN_API.openapi, (c) => c.json((cached ??= openApiDocument())));
