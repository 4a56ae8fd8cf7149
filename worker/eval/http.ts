/**
 * One evaluator HTTP call: POST JSON, with a timeout per attempt and retries
 * with backoff on connect errors, timeouts, 5xx and 429. Failures are
 * classified, never thrown: a failed evaluation counts as missing and must
 * never fail the batch that asked for it.
 */
import { retryBackoffMs } from "./budget";

export type CallResult =
  | { ok: true; json: unknown }
  | { ok: false; reason: "connect" | "timeout" | "http" | "invalid_json"; detail: string };

export interface CallOptions {
  headers?: Record<string, string>;
  timeoutMs: number;
  retries: number;
  /** Waits between attempts; tests may pass a no-op. */
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function attempt(url: string, body: unknown, opts: CallOptions): Promise<CallResult> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), opts.timeoutMs);
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...opts.headers },
      body: JSON.stringify(body),
      redirect: "manual",
      signal: abort.signal,
    });
    const text = await res.text();
    if (res.status < 200 || res.status >= 300) {
      return { ok: false, reason: "http", detail: String(res.status) };
    }
    try {
      return { ok: true, json: JSON.parse(text) };
    } catch {
      return { ok: false, reason: "invalid_json", detail: "response body is not JSON" };
    }
  } catch (e) {
    return abort.signal.aborted
      ? { ok: false, reason: "timeout", detail: `no answer within ${opts.timeoutMs} ms` }
      : { ok: false, reason: "connect", detail: String(e) };
  } finally {
    clearTimeout(timer);
  }
}

function retryable(r: CallResult): boolean {
  if (r.ok) return false;
  if (r.reason === "connect" || r.reason === "timeout") return true;
  return r.reason === "http" && (r.detail === "429" || r.detail.startsWith("5"));
}

/**
 * POSTs `body` as JSON to `url`; retries up to `opts.retries` times.
 *
 * @example
 * const r = await postJson("https://api.openai.com/v1/moderations", { input: "hi" },
 *   { timeoutMs: 10_000, retries: 2, headers: { authorization: `Bearer ${key}` } });
 */
export async function postJson(url: string, body: unknown, opts: CallOptions): Promise<CallResult> {
  const sleep = opts.sleep ?? defaultSleep;
  let result = await attempt(url, body, opts);
  for (let i = 1; i <= opts.retries && retryable(result); i++) {
    await sleep(retryBackoffMs(i));
    result = await attempt(url, body, opts);
  }
  return result;
}

/** `base` without trailing slashes, joined with an API path. */
export function endpoint(base: string, path: string): string {
  return base.replace(/\/+$/, "") + path;
}
