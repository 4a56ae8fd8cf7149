/**
 * Relay designs side by side, for the bench's relay suite: one Worker that
 * forwards each request to the origin and relays the answer's body with the
 * design its `x-relay` header names. The production relay (`relayBody`) is
 * one of them; the others are the alternatives it was measured against.
 * Every design that inspects uses the production inspector and key scrubber.
 *
 * What each design keeps of the relay's guarantees is in bench/README.md
 * (the relay design table); this file only has to make them comparable.
 */
import { relayBody, sseErrorEvent } from "../../worker/proxy/relay";
import { SseInspector } from "../../worker/proxy/inspect";
import { SecretScrubber } from "../../worker/proxy/scrub";

interface Env {
  ORIGIN: string;
}

/** The keys the bench router injects; the scrubbing designs mask them. */
const KEYS = ["sk-bench-stable", "sk-bench-canary"];
const SSE_HEADERS = new Headers({ "content-type": "text/event-stream" });

type Design = (
  body: ReadableStream<Uint8Array>,
  abort: AbortController,
) => ReadableStream<Uint8Array>;

/** A pull source over `body`, per chunk `each` (scrub, enqueue, inspect); highWaterMark chosen. */
function pullRelay(
  body: ReadableStream<Uint8Array>,
  hwm: number,
  each: (bytes: Uint8Array, c: ReadableStreamDefaultController<Uint8Array>) => boolean,
  end: (c: ReadableStreamDefaultController<Uint8Array>) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(c) {
        for (;;) {
          const next = await reader.read();
          if (next.done) return end(c);
          if (each(next.value, c)) return;
        }
      },
      cancel: () => reader.cancel(),
    },
    { highWaterMark: hwm },
  );
}

/** Scrub, enqueue, then inspect (the production order), as a pull source. */
function scrubInspect(hwm: number, inspect: boolean, keys: readonly string[]): Design {
  return (body) => {
    const scrub = new SecretScrubber(keys);
    const sse = new SseInspector();
    return pullRelay(
      body,
      hwm,
      (bytes, c) => {
        const out = scrub.push(bytes);
        if (out.byteLength === 0) return false;
        c.enqueue(out);
        if (inspect) sse.push(out, Date.now());
        return true;
      },
      (c) => {
        const rest = scrub.flush();
        if (rest.byteLength > 0) c.enqueue(rest);
        if (inspect && !sse.end(Date.now()).completed)
          c.enqueue(sseErrorEvent("stream_cut", "cut"));
        c.close();
      },
    );
  };
}

/** The same work in a TransformStream (`pipeThrough`). */
const transform: Design = (body) => {
  const scrub = new SecretScrubber(KEYS);
  const sse = new SseInspector();
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(bytes, c) {
        const out = scrub.push(bytes);
        if (out.byteLength === 0) return;
        c.enqueue(out);
        sse.push(out, Date.now());
      },
      flush(c) {
        const rest = scrub.flush();
        if (rest.byteLength > 0) c.enqueue(rest);
        if (!sse.end(Date.now()).completed) c.enqueue(sseErrorEvent("stream_cut", "cut"));
      },
    }),
  );
};

/**
 * Pipes `toClient` natively into `identity` (preventClose, preventAbort) and,
 * once both the pipe and the inspection are done, appends a cut event when
 * either says the stream did not complete, then closes.
 */
function pipeThenEnd(
  toClient: ReadableStream<Uint8Array>,
  identity: IdentityTransformStream,
  inspected: Promise<boolean>,
): ReadableStream<Uint8Array> {
  void (async () => {
    const cut = await toClient
      .pipeTo(identity.writable, { preventClose: true, preventAbort: true })
      .then(
        () => false,
        () => true,
      );
    const completed = await inspected;
    const w = identity.writable.getWriter();
    if (cut || !completed) await w.write(sseErrorEvent("stream_cut", "cut"));
    await w.close();
  })().catch(() => {});
  return identity.readable as ReadableStream<Uint8Array>;
}

/**
 * Native bytes: the body piped into an `IdentityTransformStream` with
 * `preventClose`, so an error event can still be appended after the pipe
 * ends; `inspect`: the body is `tee()`d and the second branch read in
 * JavaScript, off the client's path (no key masking is possible here).
 */
function nativePipe(inspect: boolean): Design {
  return (body) => {
    const identity = new IdentityTransformStream();
    const [toClient, toInspect] = inspect ? body.tee() : [body, null];
    const sse = new SseInspector();
    const inspected = toInspect
      ? (async () => {
          const r = toInspect.getReader();
          for (;;) {
            const next = await r.read();
            if (next.done) return sse.end(Date.now()).completed;
            sse.push(next.value, Date.now());
          }
        })().catch(() => false)
      : Promise.resolve(true);
    return pipeThenEnd(toClient, identity, inspected);
  };
}

/** Scrub and enqueue on the client's path; inspect the same bytes in slices, a timer turn later. */
const deferred: Design = (body) => {
  const scrub = new SecretScrubber(KEYS);
  const sse = new SseInspector();
  let pending: Array<{ bytes: Uint8Array; at: number }> = [];
  let scheduled = false;
  const drain = () => {
    scheduled = false;
    const batch = pending;
    pending = [];
    for (const p of batch) sse.push(p.bytes, p.at);
  };
  return pullRelay(
    body,
    0,
    (bytes, c) => {
      const out = scrub.push(bytes);
      if (out.byteLength === 0) return false;
      c.enqueue(out);
      pending.push({ bytes: out, at: Date.now() });
      if (!scheduled) {
        scheduled = true;
        setTimeout(drain, 50);
      }
      return true;
    },
    (c) => {
      const rest = scrub.flush();
      if (rest.byteLength > 0) c.enqueue(rest);
      drain();
      if (!sse.end(Date.now()).completed) c.enqueue(sseErrorEvent("stream_cut", "cut"));
      c.close();
    },
  );
};

/**
 * JavaScript reads the origin and writes each chunk (scrubbed) into an
 * `IdentityTransformStream`, whose readable the runtime sends natively; the
 * inspection runs after the write is handed over.
 */
const identityJs: Design = (body) => {
  const identity = new IdentityTransformStream();
  const scrub = new SecretScrubber(KEYS);
  const sse = new SseInspector();
  void (async () => {
    const r = body.getReader();
    const w = identity.writable.getWriter();
    let cut = false;
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await r.read();
      } catch {
        cut = true;
        break;
      }
      if (next.done) break;
      const out = scrub.push(next.value);
      if (out.byteLength === 0) continue;
      await w.ready;
      void w.write(out);
      sse.push(out, Date.now());
    }
    const rest = scrub.flush();
    if (rest.byteLength > 0) await w.write(rest);
    if (cut || !sse.end(Date.now()).completed) await w.write(sseErrorEvent("stream_cut", "cut"));
    await w.close();
  })().catch(() => {});
  return identity.readable as ReadableStream<Uint8Array>;
};

/**
 * Native pipe + tee, the second branch read in slices of at least `min`
 * bytes (BYOB `readAtLeast`) once the first content has been seen, so the
 * inspection runs once per few frames instead of once per frame.
 */
function teeSlices(min: number): Design {
  return (body) => {
    const identity = new IdentityTransformStream();
    const [toClient, toInspect] = body.tee();
    const sse = new SseInspector();
    const inspected = (async () => {
      const r = toInspect.getReader({ mode: "byob" });
      let buf = new Uint8Array(64 * 1024);
      for (;;) {
        const first = sse.result.firstTokenAt === null;
        const next = first ? await r.read(buf) : await r.readAtLeast(min, buf);
        if (next.done) return sse.end(Date.now()).completed;
        sse.push(next.value, Date.now());
        buf = new Uint8Array(next.value.buffer);
      }
    })().catch(() => false);
    return pipeThenEnd(toClient, identity, inspected);
  };
}

/**
 * Native pipe + tee with the second branch drained in BYOB reads every
 * 100 ms and not inspected: what the tee itself costs.
 */
const teeOnly: Design = (body) => {
  const identity = new IdentityTransformStream();
  const [toClient, toInspect] = body.tee();
  const drained = (async () => {
    const r = toInspect.getReader({ mode: "byob" });
    let buf = new Uint8Array(16 * 1024);
    for (;;) {
      await scheduler.wait(100);
      const next = await r.read(buf);
      if (next.done) return;
      buf = new Uint8Array(next.value.buffer);
    }
  })().catch(() => {});
  void (async () => {
    await toClient.pipeTo(identity.writable, { preventClose: true, preventAbort: true });
    await drained;
    await identity.writable.getWriter().close();
  })().catch(() => {});
  return identity.readable as ReadableStream<Uint8Array>;
};

/**
 * JavaScript reads the origin with a BYOB reader into one reused buffer, so a
 * read takes every byte already buffered (one frame when the relay keeps up,
 * several when it has fallen behind), scrubs and inspects that slice, and
 * passes a copy on: `sink: "pull"` through a pull source, `"identity"` by one
 * write into an IdentityTransformStream.
 */
function byobRelay(sink: "pull" | "identity"): Design {
  // "identity" is what the production scrubbing relay does (without its guards).
  return (body) => {
    const reader = body.getReader({ mode: "byob" });
    const scrub = new SecretScrubber(KEYS);
    const sse = new SseInspector();
    let buf = new Uint8Array(16 * 1024);
    const next = async (): Promise<Uint8Array | null> => {
      for (;;) {
        const r = await reader.read(buf);
        if (r.done) return null;
        buf = new Uint8Array(r.value.buffer);
        const out = scrub.push(r.value);
        if (out.byteLength === 0) continue;
        const copy = out === r.value ? out.slice() : out;
        sse.push(copy, Date.now());
        return copy;
      }
    };
    const tail = (): Uint8Array[] => {
      const rest = scrub.flush();
      const parts = rest.byteLength > 0 ? [rest] : [];
      if (!sse.end(Date.now()).completed) parts.push(sseErrorEvent("stream_cut", "cut"));
      return parts;
    };
    if (sink === "pull")
      return new ReadableStream<Uint8Array>(
        {
          async pull(c) {
            const bytes = await next();
            if (bytes) return c.enqueue(bytes);
            for (const p of tail()) c.enqueue(p);
            c.close();
          },
          cancel: () => reader.cancel(),
        },
        { highWaterMark: 0 },
      );
    const identity = new IdentityTransformStream();
    void (async () => {
      const w = identity.writable.getWriter();
      for (let bytes = await next(); bytes; bytes = await next()) {
        await w.ready;
        void w.write(bytes);
      }
      for (const p of tail()) await w.write(p);
      await w.close();
    })().catch(() => {});
    return identity.readable as ReadableStream<Uint8Array>;
  };
}

const DESIGNS: Record<string, Design> = {
  /** The origin's body returned as is: the floor. */
  native: (body) => body,
  /** The production relay (`relayBody`) for a request with an origin key: the scrubbing relay (BYOB reads, IdentityTransformStream). */
  "production-keyed": (body, abort) =>
    relayBody(body, SSE_HEADERS, {
      sse: true,
      secrets: KEYS,
      idleTimeoutMs: 30_000,
      abort,
      now: Date.now,
    }).stream,
  /** The production relay for a request without an origin key: the native relay. */
  "production-open": (body, abort) =>
    relayBody(body, SSE_HEADERS, {
      sse: true,
      secrets: [],
      idleTimeoutMs: 30_000,
      abort,
      now: Date.now,
    }).stream,
  /** A bare JavaScript pull source: read, enqueue, nothing else. */
  "pull-only": scrubInspect(0, false, []),
  /** Pull + key scrub, no inspection. */
  "pull-scrub": scrubInspect(0, false, KEYS),
  /** Pull + scrub + inspection inline, no timer (the production work without its guards). */
  "pull-scrub-inspect": scrubInspect(0, true, KEYS),
  /** The same with a highWaterMark of 4 chunks (reads ahead of the client). */
  "pull-hwm4": scrubInspect(4, true, KEYS),
  /** The same in a TransformStream. */
  transform,
  /** Scrub inline, inspection deferred and batched by a 50 ms timer. */
  deferred,
  /** Native pipe into an IdentityTransformStream (preventClose), error event appendable. */
  "identity-pipe": nativePipe(false),
  /** Native pipe + tee, the second branch inspected in JavaScript. */
  "tee-inspect": nativePipe(true),
  /** The same, the second branch read in slices of at least 4 KiB after the first content. */
  "tee-slices": teeSlices(4096),
  /** Native pipe + tee, the second branch drained every 100 ms, not inspected. */
  "tee-only": teeOnly,
  /** BYOB reads of what is buffered, scrubbed and inspected per slice, through a pull source. */
  "byob-pull": byobRelay("pull"),
  /** JavaScript reads and scrubs, writes into an IdentityTransformStream, inspects after. */
  "identity-js": identityJs,
};

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/__designs") return Response.json(Object.keys(DESIGNS));
    const design = DESIGNS[request.headers.get("x-relay") ?? "production-keyed"];
    if (!design) return new Response("unknown design", { status: 400 });
    const abort = new AbortController();
    const upstream = await fetch(env.ORIGIN + url.pathname + url.search, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: abort.signal,
    });
    if (!upstream.body) return upstream;
    return new Response(design(upstream.body, abort), {
      status: upstream.status,
      headers: upstream.headers,
    });
  },
};
