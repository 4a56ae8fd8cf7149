/**
 * The relay for a request that carried an origin key: JavaScript passes the
 * origin body to the client chunk by chunk, masking the keys and inspecting
 * the bytes as they pass. Nothing is buffered for the client:
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
 * (otherwise it would never end, and its outcome would be lost). `ended`
 * settles exactly once, whatever happens.
 */
import { JsonInspector, SseInspector } from "../inspect";
import { SecretScrubber } from "../scrub";
import { endEvent, ending, type Relay, type RelayEnd, type RelayOptions } from "./ending";

export function scrubbingRelay(body: ReadableStream<Uint8Array>, opts: RelayOptions): Relay {
  const reader = body.getReader();
  const scrubber = new SecretScrubber(opts.secrets ?? []);
  const sse = opts.sse ? new SseInspector() : null;
  const json = opts.sse ? null : new JsonInspector();
  const end = ending(opts.now, (endedAt) => (sse ? sse.end(endedAt) : json!.end()));
  // One timer per stream, re-armed only when it fires (never per chunk): it
  // ends a read that has waited the idle timeout (a stall), or a stream that
  // nothing has pulled for that long (a client the runtime dropped silently).
  let reading = false;
  let readSince = opts.now();
  let lastPull = readSince;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let ctrl: ReadableStreamDefaultController<Uint8Array> | null = null;

  const finish = (how: RelayEnd): void => {
    if (end.finished) return;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    end.finish(how);
  };

  const fail = (
    controller: ReadableStreamDefaultController<Uint8Array>,
    how: "cut" | "stall",
  ): void => {
    if (end.finished) return;
    opts.abort.abort();
    reader.cancel().catch(() => {});
    if (sse) {
      controller.enqueue(endEvent(how));
      controller.close();
    } else {
      controller.error(new Error(`upstream body ${how}`));
    }
    finish(how);
  };

  const abandon = (): void => {
    if (end.finished) return;
    opts.abort.abort();
    reader.cancel().catch(() => {});
    finish("client_abort");
  };

  const arm = (delay: number): void => {
    timer = setTimeout(check, Math.max(0, delay));
  };
  function check(): void {
    timer = null;
    if (end.finished) return;
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
      if (end.finished) return;
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
  return { stream, ended: end.ended };
}
