/**
 * The relay for a request that carried an origin key: JavaScript reads the
 * origin body, masks the keys (also a key split across reads) and inspects
 * the bytes, then hands them to an `IdentityTransformStream`, whose readable
 * the runtime sends to the client natively.
 *
 * The origin is read with a BYOB reader into one reused buffer, so a read
 * takes every byte already buffered: one frame while the relay keeps up,
 * several once it has fallen behind (many streams on one isolate), which is
 * when fewer JavaScript turns per frame matter. Nothing waits to fill a
 * slice; the bytes of a read are passed on at once. The bench's relay design
 * table measures this against a pull source reading chunk by chunk.
 *
 * A stream that ends without its end marker, breaks, or stays silent longer
 * than the idle timeout ends with an explicit SSE error event, never a clean
 * `[DONE]` (a JSON body is aborted instead). When the client goes away (its
 * stream cancelled, or `clientGone` aborting), the origin request is
 * aborted; a client that stops reading without either is given up after the
 * idle timeout. `ended` settles exactly once, whatever happens.
 */
import { JsonInspector, SseInspector } from "../inspect";
import { SecretScrubber } from "../scrub";
import { closeAtEnd, endEvent, ending, watch, type Relay, type RelayOptions } from "./ending";
import { sliceReader } from "./reads";

const READ_BYTES = 16 * 1024;

export function scrubbingRelay(body: ReadableStream<Uint8Array>, opts: RelayOptions): Relay {
  const read = sliceReader(body, READ_BYTES);
  const identity = new IdentityTransformStream();
  const writer = identity.writable.getWriter();
  const scrubber = new SecretScrubber(opts.secrets ?? []);
  const sse = opts.sse ? new SseInspector() : null;
  const json = opts.sse ? null : new JsonInspector();
  const end = ending(opts.now, (endedAt) => (sse ? sse.end(endedAt) : json!.end()));

  // The watch ends a read that has waited the idle timeout (a stall), or a
  // stream whose client has not taken its bytes for that long (a client the
  // runtime dropped without cancelling).
  let since = opts.now();
  let waitingForClient = false;
  let stalled = false;
  const { finish, abandon } = watch(opts, end, {
    since: () => since,
    expire: () => {
      if (waitingForClient) return abandon();
      stalled = true;
      opts.abort.abort(); // the pending read fails, and the loop writes the stall event
    },
  });
  // The client cancelled its stream: the writable errors.
  writer.closed.catch(abandon);

  const inspect = (bytes: Uint8Array): Uint8Array => {
    if (sse) sse.push(bytes, opts.now());
    else json!.push(bytes, opts.now());
    return bytes;
  };
  const pass = async (bytes: Uint8Array): Promise<void> => {
    if (bytes.byteLength === 0) return;
    waitingForClient = true;
    since = opts.now();
    await writer.ready;
    waitingForClient = false;
    writer.write(bytes).catch(abandon);
  };

  void (async () => {
    try {
      for (;;) {
        let bytes: Uint8Array | null;
        since = opts.now();
        try {
          bytes = await read();
        } catch {
          if (end.finished) return;
          const how = stalled ? "stall" : "cut";
          opts.abort.abort();
          if (sse) {
            await pass(scrubber.flush());
            await writer.write(endEvent(how));
            await writer.close();
            return finish(how);
          }
          finish(how); // first: the abort also rejects `writer.closed`
          return void (await writer.abort(new Error(`upstream body ${how}`)));
        }
        if (end.finished) return;
        if (bytes === null) break;
        await pass(inspect(scrubber.push(bytes)));
      }
      await pass(inspect(scrubber.flush()));
      await closeAtEnd(writer, sse !== null && !sse.result.completed, finish);
    } catch {
      abandon(); // nothing can be written to a client that is gone
    }
  })();

  return { stream: identity.readable as ReadableStream<Uint8Array>, ended: end.ended };
}
