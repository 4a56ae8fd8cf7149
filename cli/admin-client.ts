/**
 * The CLI's HTTP client for the admin API: one place for the edge URL and
 * token, the audit actor (`x-actor`), timeouts, and the mapping of every
 * failure to a `CliError` whose exit code scripts can trust and whose message
 * is the API's own:
 *
 * - 1: the API refused or failed (4xx such as 409 or 422, 5xx), with its message;
 * - 3: the edge cannot be reached (connection refused, DNS, timeout), refused
 *   the credentials (401/403), the admin API is disabled (503) or something in
 *   front of it redirected (e.g. a Cloudflare Access login page).
 *
 * Responses are checked with zod at this boundary (`contracts/admin-api.ts`).
 */
import type * as z from "zod";
import { CliError } from "./output";

export const DEFAULT_URL = "http://127.0.0.1:8787";
export const DEFAULT_TIMEOUT_MS = 15_000;

/** A failed admin call: the HTTP status (null when nothing answered) and the API's body. */
export class AdminApiError extends CliError {
  constructor(
    message: string,
    exitCode: 1 | 3,
    readonly status: number | null,
    readonly body: unknown,
  ) {
    super(message, exitCode);
  }
}

export interface AdminClientOptions {
  /** Base URL of the edge, without `/admin`. */
  url: string;
  /** The admin bearer token; null sends none (the edge answers 401). */
  token: string | null;
  /** Sent as `x-actor` and recorded with every write. */
  actor: string;
  timeoutMs: number;
  /** Injected in tests; default the global `fetch`. */
  fetch?: typeof fetch;
}

export interface AdminClient {
  readonly url: string;
  get<S extends z.ZodType>(path: string, schema: S): Promise<z.infer<S>>;
  post<S extends z.ZodType>(
    path: string,
    body: unknown,
    schema: S,
    headers?: Record<string, string>,
  ): Promise<z.infer<S>>;
  /** A GET whose answer is not JSON (the archive's NDJSON): its text and headers. */
  getText(path: string, accept: string): Promise<{ text: string; headers: Headers }>;
}

/** Exit code for an HTTP status the edge answered with. Pure. */
export function exitCodeForStatus(status: number): 1 | 3 {
  if (status === 401 || status === 403 || status === 503) return 3;
  if (status >= 300 && status < 400) return 3;
  return 1;
}

interface ApiErrorShape {
  message?: unknown;
  code?: unknown;
}

/**
 * One line for people from a failed response: the status, the API's error
 * code and message, and what to do for credential problems. Pure.
 *
 * @example
 * describeFailure(409, { error: { code: "version_conflict", message: "The config changed…" } }, false);
 * // "the edge refused (409 version_conflict): The config changed…"
 */
export function describeFailure(status: number, body: unknown, hadToken: boolean): string {
  const err =
    typeof body === "object" && body !== null && "error" in body
      ? ((body as { error: ApiErrorShape }).error ?? {})
      : {};
  const code = typeof err.code === "string" ? ` ${err.code}` : "";
  const message =
    typeof err.message === "string"
      ? err.message
      : typeof body === "string" && body.trim() !== ""
        ? body.trim().slice(0, 200)
        : "no error message";
  const head = `the edge refused (${status}${code}): ${message}`;
  if (status === 401)
    return hadToken
      ? `${head} Check --token or LLM_CANARY_TOKEN.`
      : `${head} No token was given: pass --token or set LLM_CANARY_TOKEN.`;
  return head;
}

/** The edge URL, checked: http(s) only, no trailing slash. Throws a usage error. */
export function normalizeUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new CliError(`--url must be a URL such as ${DEFAULT_URL} (got "${raw}")`, 2);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw new CliError(`--url must be http or https (got "${u.protocol}")`, 2);
  return u.href.replace(/\/+$/, "");
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * @example
 * const api = adminClient({ url: DEFAULT_URL, token, actor: "alice", timeoutMs: 15_000 });
 * const cfg = await api.get("/admin/config", ConfigResponseSchema);
 */
export function adminClient(o: AdminClientOptions): AdminClient {
  const doFetch = o.fetch ?? fetch;
  const base = normalizeUrl(o.url);

  /** Sends one request; every answer but a 2xx becomes an `AdminApiError`. */
  async function send(
    method: string,
    path: string,
    accept: string,
    body?: unknown,
    extra: Record<string, string> = {},
  ): Promise<{ res: Response; text: string }> {
    const headers: Record<string, string> = { accept, ...extra };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (o.actor) headers["x-actor"] = o.actor;
    if (body !== undefined) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: "manual",
        signal: AbortSignal.timeout(o.timeoutMs),
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      const why =
        err.name === "TimeoutError"
          ? `no answer within ${o.timeoutMs / 1000} s`
          : (err.cause?.code ?? err.cause?.message ?? err.message);
      throw new AdminApiError(`cannot reach the edge at ${base}: ${why}`, 3, null, null);
    }
    const text = await res.text();
    if (res.status >= 300 && res.status < 400) {
      const where = res.headers.get("location") ?? "elsewhere";
      throw new AdminApiError(
        `the edge redirected (${res.status}) to ${where}: something in front of the admin API (Cloudflare Access?) wants a browser login; use a token`,
        3,
        res.status,
        parseBody(text),
      );
    }
    if (!res.ok) {
      const parsed = parseBody(text);
      throw new AdminApiError(
        describeFailure(res.status, parsed, o.token !== null && o.token !== ""),
        exitCodeForStatus(res.status),
        res.status,
        parsed,
      );
    }
    return { res, text };
  }

  async function call<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    body?: unknown,
    extra: Record<string, string> = {},
  ): Promise<z.infer<S>> {
    const { res, text } = await send(method, path, "application/json", body, extra);
    const parsed = parseBody(text);
    const checked = schema.safeParse(parsed);
    if (!checked.success)
      throw new AdminApiError(
        `unexpected answer from ${base}${path} (is this an llm-canary edge?): ${checked.error.issues
          .slice(0, 3)
          .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
          .join("; ")}`,
        1,
        res.status,
        parsed,
      );
    return checked.data;
  }

  return {
    url: base,
    get: (path, schema) => call("GET", path, schema),
    post: (path, body, schema, headers) => call("POST", path, schema, body, headers),
    getText: async (path, accept) => {
      const { res, text } = await send("GET", path, accept);
      return { text, headers: res.headers };
    },
  };
}
