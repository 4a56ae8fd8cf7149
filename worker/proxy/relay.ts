/**
 * Relays an origin body to the client chunk by chunk, masking the origin keys
 * and inspecting the bytes as they pass. Nothing is buffered for the client:
 * each pull reads one upstream chunk and enqueues it at once. Per chunk the
 * work is one read, the key scan, one enqueue and the inspector: no timer,
 * promise race or extra stream stage, as the relay runs on the isolate's one
 * thread for every concurrent stream.
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
import { SecretScrubber } from "./scrub";

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
  /** Origin keys to mask in the relayed bytes (see `SecretScrubber`). */
  secrets?: readonly string[];
  /** Aborted when the client disconnects (the incoming request's signal). */
  clientGone?: AbortSignal;
}

const encoder = new TextEncoder();

export function sseErrorEvent(code: "stream_cut" | "stream_stall", message: string): Uint8Array {
  const data = JSON.stringify({ type: "error", error: { message, type: "server_error", code } });
  return encoder.encode(`event: error\ndata: ${data}\n\n`);
}

/**
 * @example
 * const { stream, ended } = relayBody(origin.body, { sse: true, secrets: [apiKey],
 *   idleTimeoutMs: 30_000, abort, now: Date.now, clientGone: request.signal });
 * ctx.waitUntil(ended.then(record));
 * return new Response(stream, { headers });
 */
export interface Relay {
  /** The bytes for the client. */
  stream: ReadableStream<Uint8Array>;
  /** Settles once, when the stream completed, was cut, stalled or the client left. */
  ended: Promise<RelayResult>;
}

export function relayBody(body: ReadableStream<Uint8Array>, opts: RelayOptions): Relay {
  let onEnd!: (result: RelayResult) => void;
  const ended = new Promise<RelayResult>((resolve) => (onEnd = resolve));
  const reader = body.getReader();
  const scrubber = new SecretScrubber(opts.secrets ?? []);
  const sse = opts.sse ? new SseInspector() : null;
  const json = opts.sse ? null : new JsonInspector();
  let finished = false;
  // One timer per stream, re-armed only when it fires (never per chunk): it
  // ends a read that has waited the idle timeout (a stall), or a stream that
  // nothing has pulled for that long (a client the runtime dropped silently).
  let reading = false;
  let readSince = opts.now();
  let lastPull = readSince;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let ctrl: ReadableStreamDefaultController<Uint8Array> | null = null;

  const finish = (end: RelayEnd): void => {
    if (finished) return;
    finished = true;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    const endedAt = opts.now();
    // Read on first use: the closing turn stays short (the client's last bytes
    // go out first), and nothing is parsed when no outcome is recorded.
    let inspection: Inspection | null = null;
    onEnd({
      end,
      endedAt,
      get inspection() {
        return (inspection ??= sse ? sse.end(endedAt) : json!.end());
      },
    });
  };

  const fail = (
    controller: ReadableStreamDefaultController<Uint8Array>,
    end: "cut" | "stall",
  ): void => {
    if (finished) return;
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
    if (finished) return;
    opts.abort.abort();
    reader.cancel().catch(() => {});
    finish("client_abort");
  };

  const arm = (delay: number): void => {
    timer = setTimeout(check, Math.max(0, delay));
  };
  function check(): void {
    timer = null;
    if (finished) return;
    const now = opts.now();
    const due = (reading ? readSince : lastPull) + opts.idleTimeoutMs;
    if (now < due) return arm(due - now);
    if (reading && ctrl) fail(ctrl, "stall");
    else abandon();
  }

  const pass = (bytes: Uint8Array, controller: ReadableStreamDefaultController<Uint8Array>) => {
    if (bytes.byteLength === 0) return false;
    controller.enqueue(bytes);
    const now = opts.now();
    if (sse) sse.push(bytes, now);
    else json!.push(bytes, now);
    return true;
  };

  /** One pull: upstream chunks until one can be passed on, or a stall, a cut or the end. */
  const pullOnce = async (controller: ReadableStreamDefaultController<Uint8Array>) => {
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      reading = true;
      readSince = opts.now();
      try {
        next = await reader.read();
      } catch {
        return fail(controller, "cut");
      } finally {
        reading = false;
      }
      if (finished) return;
      if (next.done) {
        pass(scrubber.flush(), controller);
        if (sse && !sse.result.completed) return fail(controller, "cut");
        controller.close();
        return finish("completed");
      }
      if (pass(scrubber.push(next.value), controller)) return;
    }
  };

  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        ctrl = controller;
        if (opts.clientGone?.aborted) return abandon();
        opts.clientGone?.addEventListener("abort", abandon, { once: true });
        arm(opts.idleTimeoutMs);
      },
      async pull(controller) {
        try {
          await pullOnce(controller);
        } finally {
          lastPull = opts.now();
        }
      },
      cancel() {
        abandon();
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, ended };
}
