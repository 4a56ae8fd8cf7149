/**
 * Relays an origin body to the client chunk by chunk, inspecting the bytes
 * as they pass. Nothing is buffered for the client: each pull reads one
 * upstream chunk and enqueues it at once.
 *
 * A stream that ends without its end marker, breaks, or stays silent longer
 * than the idle timeout ends with an explicit SSE error event, never a clean
 * `[DONE]`. When the client goes away, the upstream request is aborted: on
 * `cancel()`, or when `clientGone` aborts. The runtime may also drop a
 * disconnected client's stream without either; then nothing pulls any more,
 * and after the idle timeout without a pull the relay ends as a client abort
 * (otherwise it would never end, and its outcome would be lost). `onEnd` is
 * called exactly once, whatever happens.
 */
import type { Inspection } from "./inspect";
import { JsonInspector, SseInspector } from "./inspect";

export type RelayEnd = "completed" | "cut" | "stall" | "client_abort";

export interface RelayResult {
  end: RelayEnd;
  inspection: Inspection;
  endedAt: number;
}

export interface RelayOptions {
  sse: boolean;
  idleTimeoutMs: number;
  abort: AbortController;
  now: () => number;
  onEnd: (result: RelayResult) => void;
  /** Aborted when the client disconnects (the incoming request's signal). */
  clientGone?: AbortSignal;
}

const encoder = new TextEncoder();

export function sseErrorEvent(code: "stream_cut" | "stream_stall", message: string): Uint8Array {
  const data = JSON.stringify({ type: "error", error: { message, type: "server_error", code } });
  return encoder.encode(`event: error\ndata: ${data}\n\n`);
}

const IDLE = Symbol("idle");

export function relayBody(
  body: ReadableStream<Uint8Array>,
  opts: RelayOptions,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const sse = opts.sse ? new SseInspector() : null;
  const json = opts.sse ? null : new JsonInspector();
  let finished = false;
  let pulling = false;
  let lastPull = opts.now();
  let watchdog: ReturnType<typeof setInterval> | null = null;

  const finish = (end: RelayEnd): void => {
    if (finished) return;
    finished = true;
    if (watchdog !== null) clearInterval(watchdog);
    const now = opts.now();
    const inspection = sse ? sse.end(now) : json!.end();
    opts.onEnd({ end, inspection, endedAt: now });
  };

  const fail = (
    controller: ReadableStreamDefaultController<Uint8Array>,
    end: "cut" | "stall",
  ): void => {
    opts.abort.abort();
    reader.cancel().catch(() => {});
    if (sse) {
      const msg =
        end === "stall" ? "The model stream stalled." : "The model stream was interrupted.";
      controller.enqueue(sseErrorEvent(end === "stall" ? "stream_stall" : "stream_cut", msg));
      controller.close();
    } else {
      controller.error(new Error(`upstream body ${end}`));
    }
    finish(end);
  };

  const abandon = (): void => {
    opts.abort.abort();
    reader.cancel().catch(() => {});
    finish("client_abort");
  };

  /** One pull: the next upstream chunk, a stall, a cut or the end. */
  const pullOnce = async (controller: ReadableStreamDefaultController<Uint8Array>) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const idle = new Promise<typeof IDLE>((resolve) => {
      timer = setTimeout(() => resolve(IDLE), opts.idleTimeoutMs);
    });
    let next: ReadableStreamReadResult<Uint8Array> | typeof IDLE;
    try {
      next = await Promise.race([reader.read(), idle]);
    } catch {
      fail(controller, "cut");
      return;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
    if (next === IDLE) return fail(controller, "stall");
    if (next.done) {
      if (sse && !sse.result.completed) return fail(controller, "cut");
      controller.close();
      return finish("completed");
    }
    controller.enqueue(next.value);
    const now = opts.now();
    if (sse) sse.push(next.value, now);
    else json!.push(next.value, now);
  };

  return new ReadableStream<Uint8Array>(
    {
      start() {
        if (opts.clientGone?.aborted) return abandon();
        opts.clientGone?.addEventListener("abort", abandon, { once: true });
        watchdog = setInterval(
          () => {
            if (!pulling && opts.now() - lastPull > opts.idleTimeoutMs) abandon();
          },
          Math.min(1_000, opts.idleTimeoutMs),
        );
      },
      async pull(controller) {
        pulling = true;
        try {
          await pullOnce(controller);
        } finally {
          pulling = false;
          lastPull = opts.now();
        }
      },
      cancel() {
        abandon();
      },
    },
    { highWaterMark: 0 },
  );
}
