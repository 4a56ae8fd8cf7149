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
import { ending, type Relay, type RelayOptions } from "./ending";

/** Bodies up to this size, with a declared length, are relayed in one piece. */
export const BUFFER_MAX_BYTES = 1024 * 1024;

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
  let stalled = false;
  const timer = setTimeout(() => {
    stalled = true;
    opts.abort.abort();
  }, opts.idleTimeoutMs);
  const abandon = (): void => {
    if (end.finished) return;
    opts.abort.abort();
    clearTimeout(timer);
    end.finish("client_abort");
  };
  if (opts.clientGone?.aborted) abandon();
  opts.clientGone?.addEventListener("abort", abandon, { once: true });

  void (async () => {
    const writer = identity.writable.getWriter();
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await new Response(body).arrayBuffer());
    } catch {
      clearTimeout(timer);
      if (end.finished) return;
      const how = stalled ? "stall" : "cut";
      await writer.abort(new Error(`upstream body ${how}`)).catch(() => {});
      return end.finish(how);
    }
    clearTimeout(timer);
    if (end.finished) return;
    json.push(bytes, opts.now());
    const scrubber = new SecretScrubber(opts.secrets ?? []);
    if (scrubber.active) {
      const head = scrubber.push(bytes);
      const tail = scrubber.flush();
      bytes = tail.byteLength === 0 ? head : concat(head, tail);
    }
    try {
      if (bytes.byteLength > 0) await writer.write(bytes);
      await writer.close();
      end.finish("completed");
    } catch {
      abandon();
    }
  })();
  return { stream: identity.readable as ReadableStream<Uint8Array>, ended: end.ended };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}
