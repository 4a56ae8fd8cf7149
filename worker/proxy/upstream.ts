/**
 * One call to a model origin, up to its response headers. Redirects are never
 * followed (an origin cannot send us elsewhere); a missing answer within the
 * header timeout aborts the connection. Failures are classified, not thrown.
 */
import type { Release } from "../../contracts/config";
import type { ErrorClass } from "../../contracts/outcome";

export interface UpstreamRequest {
  release: Release;
  /** Path and query, e.g. `/v1/chat/completions?x=1`. */
  pathAndQuery: string;
  headers: Headers;
  body: string;
  headerTimeoutMs: number;
}

export type UpstreamResult =
  | { ok: true; response: Response; ttfbMs: number; abort: AbortController }
  | {
      ok: false;
      errorClass: Extract<ErrorClass, "connect" | "timeout" | "http_5xx" | "http_429" | "http_4xx">;
      /** The origin's response for 4xx/429 (body unread), else null. */
      response: Response | null;
      status: number | null;
      ttfbMs: number | null;
      detail: string;
    };

/** The origin URL for a release and a client path; the client cannot change the host. */
export function originUrl(release: Release, pathAndQuery: string): string {
  return release.originUrl.replace(/\/+$/, "") + pathAndQuery;
}

export async function callUpstream(
  req: UpstreamRequest,
  now: () => number,
): Promise<UpstreamResult> {
  const started = now();
  const abort = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, req.headerTimeoutMs);
  let response: Response;
  try {
    response = await fetch(originUrl(req.release, req.pathAndQuery), {
      method: "POST",
      headers: req.headers,
      body: req.body,
      redirect: "manual",
      signal: abort.signal,
    });
  } catch (e) {
    return {
      ok: false,
      errorClass: timedOut ? "timeout" : "connect",
      response: null,
      status: null,
      ttfbMs: null,
      detail: timedOut ? `no response headers within ${req.headerTimeoutMs} ms` : String(e),
    };
  } finally {
    clearTimeout(timer);
  }
  const ttfbMs = now() - started;
  const status = response.status;
  if (status >= 200 && status < 300) return { ok: true, response, ttfbMs, abort };
  if (status === 429)
    return { ok: false, errorClass: "http_429", response, status, ttfbMs, detail: "429" };
  if (status >= 400 && status < 500) {
    return { ok: false, errorClass: "http_4xx", response, status, ttfbMs, detail: String(status) };
  }
  await response.body?.cancel();
  const detail = status >= 300 && status < 400 ? `redirect ${status} not followed` : String(status);
  return { ok: false, errorClass: "http_5xx", response: null, status, ttfbMs, detail };
}

/** Whether a canary failure may be retried on stable (nothing reached the client yet). */
export function canFailOver(errorClass: ErrorClass): boolean {
  return (
    errorClass === "connect" ||
    errorClass === "timeout" ||
    errorClass === "http_5xx" ||
    errorClass === "http_429"
  );
}
