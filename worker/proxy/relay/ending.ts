/**
 * What every relay design shares: its result, its options, the SSE error
 * event that ends a cut or stalled stream, and the one-time ending.
 */
import type { Inspection } from "../inspect";

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

const encoder = new TextEncoder();

export function sseErrorEvent(code: "stream_cut" | "stream_stall", message: string): Uint8Array {
  const data = JSON.stringify({ type: "error", error: { message, type: "server_error", code } });
  return encoder.encode(`event: error\ndata: ${data}\n\n`);
}

/** The error event for a cut or a stall. */
export function endEvent(end: "cut" | "stall"): Uint8Array {
  return end === "stall"
    ? sseErrorEvent("stream_stall", "The model stream stalled.")
    : sseErrorEvent("stream_cut", "The model stream was interrupted.");
}

/**
 * The relay's one ending: `finish` settles `ended` the first time it is
 * called and is a no-op after. The inspection is read on first use, so the
 * closing turn stays short (the client's last bytes go out first) and
 * nothing is parsed when no outcome is recorded.
 */
export function ending(now: () => number, inspect: (endedAt: number) => Inspection) {
  let onEnd!: (result: RelayResult) => void;
  const ended = new Promise<RelayResult>((resolve) => (onEnd = resolve));
  let finished = false;
  return {
    ended,
    get finished() {
      return finished;
    },
    finish(end: RelayEnd): void {
      if (finished) return;
      finished = true;
      const endedAt = now();
      let inspection: Inspection | null = null;
      onEnd({
        end,
        endedAt,
        get inspection() {
          return (inspection ??= inspect(endedAt));
        },
      });
    },
  };
}

/**
 * Closes the client's stream when the origin body has ended: with a cut
 * event first when an SSE stream never sent its end marker (`incomplete`).
 */
export async function closeAtEnd(
  writer: WritableStreamDefaultWriter<Uint8Array>,
  incomplete: boolean,
  finish: (how: RelayEnd) => void,
): Promise<void> {
  if (incomplete) await writer.write(endEvent("cut"));
  await writer.close();
  finish(incomplete ? "cut" : "completed");
}

/**
 * The watch every relay keeps: one timer per answer, re-armed only
 * when it fires (never per chunk), calls `idle.expire` once nothing has
 * happened since `idle.since()` for the idle timeout; the client going away
 * (`clientGone`) abandons the relay. `finish` ends the relay once and stops
 * the timer; `abandon` aborts the origin and ends it as a client abort.
 */
export function watch(
  opts: RelayOptions,
  end: ReturnType<typeof ending>,
  idle: { since: () => number; expire: () => void },
) {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const finish = (how: RelayEnd): void => {
    if (end.finished) return;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    end.finish(how);
  };
  const abandon = (): void => {
    if (end.finished) return;
    opts.abort.abort();
    finish("client_abort");
  };
  const check = (): void => {
    timer = null;
    if (end.finished) return;
    const now = opts.now();
    const due = idle.since() + opts.idleTimeoutMs;
    if (now < due) timer = setTimeout(check, due - now);
    else idle.expire();
  };
  timer = setTimeout(check, opts.idleTimeoutMs);
  if (opts.clientGone?.aborted) abandon();
  opts.clientGone?.addEventListener("abort", abandon, { once: true });
  return { finish, abandon };
}
