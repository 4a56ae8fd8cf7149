/**
 * The load generator behind `llm-canary load`, the demo and the benchmarks:
 * sends OpenAI-shaped requests with a seeded traffic mix to an edge URL,
 * either open loop at a fixed rate (with a cap on requests in flight) or
 * closed loop at a fixed concurrency, and always stops by itself (a duration
 * or a count, each request under a timeout).
 *
 * Uses Node's fetch (undici), whose global dispatcher keeps connections alive.
 */
import { shapeHeaders, shapes, type RequestShape, type TrafficMix } from "./mix";
import { summarize, type LoadSummary, type RequestResult } from "./stats";

export interface LoadOptions {
  /** Edge base URL, e.g. `http://127.0.0.1:8787`. */
  url: string;
  /** Default `/v1/chat/completions`. */
  path?: string;
  /** The model alias requested. */
  model: string;
  mix: TrafficMix;
  /** Most requests in flight at once. */
  concurrency: number;
  /**
   * Requests per second (open loop), or a function read as the run goes (the
   * demo shifts rate between scenarios); absent: closed loop at `concurrency`.
   */
  rate?: number | (() => number);
  /** Stop sending after this long... */
  durationMs?: number;
  /** ...or after this many requests (whichever comes first). */
  count?: number;
  /** Per request, until its body ended. Default 30 s. */
  timeoutMs?: number;
  seed?: number;
  prompt?: string;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** Extra headers per request, from its drawn shape (e.g. to steer a test origin). */
  headersFor?: (shape: RequestShape) => Record<string, string>;
  /** Called at most every 100 ms and once at the end. */
  onProgress?: (p: { done: number; elapsedMs: number }) => void;
  /** Called for every finished request (e.g. for time series). */
  onResult?: (r: RequestResult) => void;
  /** Stops sending; requests in flight finish (each under its timeout). */
  signal?: AbortSignal;
}

export interface LoadRun {
  summary: LoadSummary;
  results: RequestResult[];
}

const CONTENT = /"content":"[^"]/;
const ERROR_EVENT = /data: ?\{"error"/;

/** Reads an SSE body to its end: first content frame time, `[DONE]`, error events. */
async function readStream(
  body: ReadableStream<Uint8Array>,
  t0: number,
): Promise<{ ttftMs: number | null; error: string | null }> {
  const decoder = new TextDecoder();
  let tail = "";
  let ttftMs: number | null = null;
  let done = false;
  let errorEvent = false;
  for await (const chunk of body) {
    const text = tail + decoder.decode(chunk, { stream: true });
    if (ttftMs === null && CONTENT.test(text)) ttftMs = performance.now() - t0;
    if (ERROR_EVENT.test(text)) errorEvent = true;
    if (text.includes("data: [DONE]")) done = true;
    tail = text.slice(-32);
  }
  const error = errorEvent ? "stream error event" : done ? null : "stream ended without [DONE]";
  return { ttftMs, error };
}

function errorText(e: unknown): string {
  const err = e as {
    name?: string;
    message?: string;
    cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> };
  };
  if (err?.name === "TimeoutError") return "timeout";
  if (err?.name === "AbortError") return "aborted";
  const cause = err?.cause;
  return cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message ?? err?.message ?? String(e);
}

/**
 * Runs one load and returns every request's result and the summary.
 *
 * @example
 * const { summary } = await runLoad({
 *   url: "http://127.0.0.1:8787", model: "gpt-4o-mini", concurrency: 8, durationMs: 10_000,
 *   mix: { countries: [{ value: "DE", weight: 1 }], cohorts: [], classes: [], users: 100,
 *     streamShare: 0.2 },
 * });
 * console.log(summary.latencyMs?.p95, summary.variants);
 */
export async function runLoad(o: LoadOptions): Promise<LoadRun> {
  if (o.durationMs === undefined && o.count === undefined)
    throw new Error("runLoad needs a duration or a count");
  if (!(o.concurrency >= 1)) throw new Error("concurrency must be at least 1");
  const rateNow = typeof o.rate === "function" ? o.rate : () => o.rate as number;
  if (o.rate !== undefined && !(rateNow() > 0)) throw new Error("rate must be above 0");
  const target = new URL(o.path ?? "/v1/chat/completions", o.url).href;
  const timeoutMs = o.timeoutMs ?? 30_000;
  const next = shapes(o.mix, o.seed ?? 1);
  const prompt = o.prompt ?? "Say hello in one short sentence.";
  const results: RequestResult[] = [];
  const started = performance.now();
  const startedWall = Date.now();
  const deadline = o.durationMs !== undefined ? started + o.durationMs : Infinity;
  const stopper = new AbortController();
  const stopAll = () => stopper.abort();
  o.signal?.addEventListener("abort", stopAll, { once: true });

  let issued = 0;
  let inFlight = 0;
  let wake: (() => void) | null = null;
  const poke = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  let lastProgress = 0;
  const progress = (force = false) => {
    const now = performance.now();
    if (!o.onProgress || (!force && now - lastProgress < 100)) return;
    lastProgress = now;
    o.onProgress({ done: results.length, elapsedMs: now - started });
  };

  const one = async (): Promise<void> => {
    const shape = next();
    const t0 = performance.now();
    const result: RequestResult = {
      startedAt: startedWall + (t0 - started),
      status: 0,
      variant: null,
      stream: shape.stream,
      latencyMs: 0,
      ttftMs: null,
      error: null,
      country: shape.country,
      cohort: shape.cohort,
      requestClass: shape.requestClass,
    };
    try {
      const res = await fetch(target, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...shapeHeaders(shape),
          ...o.headers,
          ...o.headersFor?.(shape),
        },
        body: JSON.stringify({
          model: o.model,
          messages: [{ role: "user", content: prompt }],
          ...(shape.stream ? { stream: true } : {}),
        }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      result.status = res.status;
      result.variant = res.headers.get("x-canary-variant");
      const sse = (res.headers.get("content-type") ?? "").includes("text/event-stream");
      if (sse && res.body) {
        const s = await readStream(res.body, t0);
        result.ttftMs = s.ttftMs;
        result.error = s.error;
      } else {
        await res.arrayBuffer();
      }
    } catch (e) {
      result.error = errorText(e);
    }
    result.latencyMs = performance.now() - t0;
    results.push(result);
    o.onResult?.(result);
  };

  const moreToSend = () =>
    !stopper.signal.aborted &&
    (o.count === undefined || issued < o.count) &&
    performance.now() < deadline;

  // Rate mode: a token bucket filled at the current rate, at most one second deep.
  let credit = 1;
  let filledAt = started;
  while (moreToSend()) {
    if (o.rate !== undefined) {
      const now = performance.now();
      const r = Math.max(0, rateNow());
      credit = Math.min(Math.max(1, r), credit + ((now - filledAt) / 1000) * r);
      filledAt = now;
    }
    while (inFlight < o.concurrency && (o.rate === undefined || credit >= 1) && moreToSend()) {
      credit -= 1;
      issued += 1;
      inFlight += 1;
      void one().finally(() => {
        inFlight -= 1;
        poke();
      });
    }
    progress();
    // Sleep until a request finishes or the next one is due (rate mode), at
    // most 100 ms so the deadline and progress stay current.
    const r = o.rate !== undefined ? rateNow() : 0;
    const untilDue =
      o.rate !== undefined && inFlight < o.concurrency && r > 0
        ? Math.max(1, Math.ceil(((1 - credit) / r) * 1000))
        : 100;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.min(100, untilDue));
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
  while (inFlight > 0) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 100);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    progress();
  }
  o.signal?.removeEventListener("abort", stopAll);
  progress(true);
  const durationMs = performance.now() - started;
  return { summary: summarize(results, durationMs), results };
}
