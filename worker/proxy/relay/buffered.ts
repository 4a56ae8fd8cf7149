/**
 * The relay for a non-streamed answer of known, bounded length (a JSON body
 * with a `content-length` up to `BUFFER_MAX_BYTES`): the runtime reads the
 * whole body natively, JavaScript scans it once for origin keys, and one
 * write hands it to an `IdentityTransformStream` the runtime sends. A JSON
 * body is of no use to a client before its last byte, so nothing is delayed
 * that a client could read; per request there is one read and one write
 * instead of a JavaScript stream pulled chunk by chunk.
 *
 * Endings: the origin body breaks, or does not complete within the idle
 * timeout, and the client's stream is aborted (as the streaming relays do for
 * a JSON body); the client goes away and the origin request is aborted.
 */
import { JsonInspector } from "../inspect";
import { SecretScrubber } from "../scrub";
import { ending, watch, type Relay, type RelayOptions } from "./ending";

/** Bodies up to this size, with a declared length, are relayed in one piece. */
const BUFFER_MAX_BYTES = 1024 * 1024;

/** Whether an origin answer can take the buffered relay. */
export function bufferable(headers: Headers, sse: boolean): boolean {
  if (sse || headers.has("content-encoding")) return false;
  const length = Number(headers.get("content-length") ?? NaN);
  return Number.isInteger(length) && length >= 0 && length <= BUFFER_MAX_BYTES;
}

export function bufferedRelay(body: ReadableStream<Uint8Array>, opts: RelayOptions): Relay {
  const identity = new IdentityTransformStream();
  const json = new JsonInspector();
  const end = ending(opts.now, () => json.end());
  const started = opts.now();
  let stalled = false;
  // The whole body must arrive within the idle timeout.
  const { finish, abandon } = watch(opts, end, {
    since: () => started,
    expire: () => {
      stalled = true;
      opts.abort.abort();
    },
  });

  void (async () => {
    const writer = identity.writable.getWriter();
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await new Response(body).arrayBuffer());
    } catch {
      if (end.finished) return;
      const how = stalled ? "stall" : "cut";
      finish(how);
      return void (await writer.abort(new Error(`upstream body ${how}`)).catch(() => {}));
    }
    if (end.finished) return;
    json.push(bytes, opts.now());
    const out = new SecretScrubber(opts.secrets ?? []).all(bytes);
    try {
      if (out.byteLength > 0) await writer.write(out);
      await writer.close();
      finish("completed");
    } catch {
      abandon();
    }
  })();
  return { stream: identity.readable as ReadableStream<Uint8Array>, ended: end.ended };
}
