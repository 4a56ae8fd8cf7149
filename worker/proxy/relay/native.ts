/**
 * The relay for a request that carried no origin key. Nothing secret went
 * upstream, so nothing can come back that needs masking, and no JavaScript
 * has to touch the client's bytes: the origin body is `tee()`d, one branch
 * piped natively into an `IdentityTransformStream` (`preventClose` and
 * `preventAbort`, so an error event can still be appended when the pipe
 * ends), the other read by JavaScript for the outcome and quality signals.
 *
 * The inspecting branch reads chunk by chunk until the first content (so the
 * time to first token stays exact), then wakes every `SLICE_MS` and takes
 * whatever the tee has buffered in one read: once per few frames instead of
 * once per frame. The tee is driven by the client's branch, so the wait
 * delays no byte; a read of at least N bytes would (the tee then waits for
 * N bytes from the origin before either branch gets any).
 *
 * Endings, as in the scrubbing relay: the pipe fails because the origin broke
 * (or was aborted on a stall), and the error event is written and the stream
 * closed; or because the client went away, and the write fails; or the origin
 * ended, and the stream closes, with a cut event first when an SSE stream
 * never sent its end marker. One timer per stream, re-armed when it fires,
 * ends a stall (no origin byte for the idle timeout) and a client that stopped
 * reading (origin done, pipe not, for the idle timeout).
 */
import { JsonInspector, SseInspector } from "../inspect";
import { closeAtEnd, endEvent, ending, watch, type Relay, type RelayOptions } from "./ending";
import { sliceReader } from "./reads";

/** How often, after the first content, the inspecting branch takes what is buffered. */
const SLICE_MS = 100;
/** Bytes one read of the inspecting branch can take; a full read is followed at once by the next. */
const SLICE_BYTES = 16 * 1024;

export function nativeRelay(body: ReadableStream<Uint8Array>, opts: RelayOptions): Relay {
  const [toClient, toInspect] = body.tee();
  const identity = new IdentityTransformStream();
  const sse = opts.sse ? new SseInspector() : null;
  const json = opts.sse ? null : new JsonInspector();
  const end = ending(opts.now, (endedAt) => (sse ? sse.end(endedAt) : json!.end()));

  let lastByteAt = opts.now();
  let originDone = false;
  let stalled = false;
  /** Set once the pipe has ended: the inspecting branch reads what is left without waiting. */
  let draining = false;
  let wake: (() => void) | null = null;
  const { finish, abandon } = watch(opts, end, {
    since: () => lastByteAt,
    expire: () => {
      if (originDone) return abandon(); // the origin is done; the client stopped reading
      stalled = true;
      opts.abort.abort(); // the pipe fails, and its ending writes the stall event
    },
  });

  // The inspecting branch: settles when the origin body ended or broke.
  const inspected = (async () => {
    const read = sliceReader(toInspect, SLICE_BYTES);
    let wait = false;
    for (;;) {
      if (wait && !draining) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, SLICE_MS);
        });
        wake = null;
      }
      if (end.finished) return;
      const bytes = await read();
      if (bytes === null) return void (originDone = true);
      const now = opts.now();
      lastByteAt = now;
      if (sse) sse.push(bytes, now);
      else json!.push(bytes, now);
      // Chunk by chunk until the first content (its time is the time to first token).
      wait = bytes.byteLength < SLICE_BYTES && (!sse || sse.result.firstTokenAt !== null);
    }
  })().catch(() => {});
  const settle = (): Promise<void> => {
    draining = true;
    wake?.();
    return inspected;
  };

  void (async () => {
    const broke = await toClient
      .pipeTo(identity.writable, { preventClose: true, preventAbort: true })
      .then(
        () => false,
        () => true,
      );
    if (end.finished) return;
    const writer = identity.writable.getWriter();
    try {
      await writer.ready; // rejects when the client is gone
      if (broke) {
        const how = stalled ? "stall" : "cut";
        opts.abort.abort();
        if (sse) {
          await writer.write(endEvent(how));
          await writer.close();
          await settle();
          return finish(how);
        }
        await settle();
        finish(how);
        return void (await writer.abort(new Error(`upstream body ${how}`)));
      }
      await settle();
      await closeAtEnd(writer, sse !== null && !sse.result.completed, finish);
    } catch {
      abandon(); // nothing can be written to a client that is gone
    }
  })();

  return { stream: identity.readable as ReadableStream<Uint8Array>, ended: end.ended };
}
