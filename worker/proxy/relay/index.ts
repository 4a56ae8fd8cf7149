/**
 * Relays an origin body to the client while the outcome and quality signals
 * are read from the same bytes. Three designs, chosen per answer, keep the
 * same guarantees (bench/README.md, "Relay designs", has the measurements):
 *
 * - `nativeRelay` when the request carried no origin key: nothing secret went
 *   upstream, so nothing can be echoed back and no byte needs masking. The
 *   bytes go through the runtime's native pipe; JavaScript reads a `tee()` of
 *   them off the client's path, in slices.
 * - `scrubbingRelay` when an origin key was injected: every chunk passes
 *   through JavaScript, which masks the key before the client sees it (also
 *   when it is split across chunks).
 * - `bufferedRelay`, before either, for a non-streamed body of declared,
 *   bounded length: read whole natively, scanned once, written once.
 *
 * Either way: a stream that ends without its end marker, breaks, or stays
 * silent longer than the idle timeout ends with an explicit SSE error event,
 * never a clean `[DONE]`; when the client goes away the origin request is
 * aborted; `ended` settles exactly once.
 */
import { masksAny } from "../scrub";
import { bufferable, bufferedRelay } from "./buffered";
import type { Relay, RelayOptions } from "./ending";
import { nativeRelay } from "./native";
import { scrubbingRelay } from "./scrubbing";

export type { Relay, RelayEnd, RelayOptions, RelayResult } from "./ending";
export { sseErrorEvent } from "./ending";

/** `headers`: the origin's response headers (the declared length picks the buffered relay). */
export function relayBody(
  body: ReadableStream<Uint8Array>,
  headers: Headers,
  opts: RelayOptions,
): Relay {
  if (bufferable(headers, opts.sse)) return bufferedRelay(body, opts);
  return masksAny(opts.secrets ?? []) ? scrubbingRelay(body, opts) : nativeRelay(body, opts);
}
