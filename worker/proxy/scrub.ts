/**
 * Keeps the origin API keys the edge injects out of everything it relays
 * back to clients. An origin that echoes request headers (a debug endpoint,
 * an error message quoting the key it was given) must not hand the key to
 * whoever sent the request: each occurrence becomes `[redacted]`.
 *
 * Incremental and byte-based, so a key split across chunks (or a multi-byte
 * character split anywhere) is still caught. Only trailing bytes that could
 * be the start of a key are held back for the next chunk; a stream of SSE
 * events, which end in newlines, still flows chunk by chunk.
 */

const MASK = new TextEncoder().encode("[redacted]");
const EMPTY = new Uint8Array(0);

/** Keys shorter than this are not scrubbed: they would mask ordinary text. */
export const MIN_SECRET_LENGTH = 8;

interface Needles {
  secrets: Uint8Array[];
  /** Distinct first bytes of the secrets: the only places a key can start. */
  starts: number[];
}

/**
 * Encoded keys by key set: a deployment has a handful of keys, and every
 * request that injects one would otherwise encode them again. Bounded, and
 * emptied when full (keys rotate rarely).
 */
const NEEDLES = new Map<string, Needles>();
const NEEDLES_MAX = 64;

function needlesFor(keys: readonly string[]): Needles {
  const id = keys.join("\n");
  let n = NEEDLES.get(id);
  if (!n) {
    const encoder = new TextEncoder();
    const secrets = [...new Set(keys)]
      .filter((s) => s.length >= MIN_SECRET_LENGTH)
      .map((s) => encoder.encode(s));
    n = { secrets, starts: [...new Set(secrets.map((s) => s[0]!))] };
    if (NEEDLES.size >= NEEDLES_MAX) NEEDLES.clear();
    NEEDLES.set(id, n);
  }
  return n;
}

/** Whether any of `keys` is long enough to be masked (a relay that masks nothing need not scan). */
export function masksAny(keys: readonly string[]): boolean {
  return needlesFor(keys).secrets.length > 0;
}

export class SecretScrubber {
  private readonly secrets: Uint8Array[];
  /** Distinct first bytes of the secrets: the only places a key can start. */
  private readonly starts: number[];
  private held: Uint8Array = EMPTY;

  constructor(secrets: readonly string[]) {
    const n = needlesFor(secrets);
    this.secrets = n.secrets;
    this.starts = n.starts;
  }

  /** Whether there is anything to scrub at all. */
  get active(): boolean {
    return this.secrets.length > 0;
  }

  /**
   * The bytes of `chunk` (after anything held before) that can be passed on
   * now, keys masked.
   *
   * @example
   * const s = new SecretScrubber(["sk-secret-123"]);
   * s.push(bytes("key: sk-sec")); // "key: " (the rest might be the key)
   * s.push(bytes("ret-123\n")); // "[redacted]\n"
   */
  push(chunk: Uint8Array): Uint8Array {
    if (!this.active) return chunk;
    const buf = this.held.byteLength === 0 ? chunk : concat([this.held, chunk]);
    const { out, rest } = this.scan(buf, false);
    this.held = rest;
    return out;
  }

  /** Whatever is still held back, at the end of the body. */
  flush(): Uint8Array {
    const { out } = this.scan(this.held, true);
    this.held = EMPTY;
    return out;
  }

  /** A whole body at once, keys masked (`push` then `flush`, without holding anything back). */
  all(body: Uint8Array): Uint8Array {
    return this.active ? this.scan(body, true).out : body;
  }

  /** The next position at or after `from` holding a key's first byte, or -1. */
  private nextStart(buf: Uint8Array, from: number): number {
    let best = -1;
    for (const b of this.starts) {
      const at = buf.indexOf(b, from);
      if (at !== -1 && (best === -1 || at < best)) best = at;
    }
    return best;
  }

  // Only positions holding a key's first byte are examined (found with the
  // native `indexOf`), so a chunk without one costs a scan per distinct first byte.
  private scan(buf: Uint8Array, final: boolean): { out: Uint8Array; rest: Uint8Array } {
    const parts: Uint8Array[] = [];
    let from = 0;
    let i = this.nextStart(buf, 0);
    while (i !== -1) {
      const left = buf.byteLength - i;
      let key: Uint8Array | undefined;
      for (const s of this.secrets) {
        if (left >= s.byteLength && matchAt(buf, i, s, s.byteLength)) {
          key = s;
          break;
        }
      }
      if (key) {
        parts.push(buf.subarray(from, i), MASK);
        from = i + key.byteLength;
        i = this.nextStart(buf, from);
        continue;
      }
      if (!final) {
        for (const s of this.secrets) {
          if (left < s.byteLength && matchAt(buf, i, s, left)) {
            // The tail may be the start of a key: keep it for the next chunk.
            parts.push(buf.subarray(from, i));
            return { out: concat(parts), rest: buf.slice(i) };
          }
        }
      }
      i = this.nextStart(buf, i + 1);
    }
    if (from === 0) return { out: buf, rest: EMPTY };
    parts.push(buf.subarray(from));
    return { out: concat(parts), rest: EMPTY };
  }
}

function matchAt(buf: Uint8Array, at: number, s: Uint8Array, n: number): boolean {
  for (let k = 0; k < n; k++) if (buf[at + k] !== s[k]) return false;
  return true;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const nonEmpty = parts.filter((p) => p.byteLength > 0);
  if (nonEmpty.length === 1) return nonEmpty[0]!;
  const out = new Uint8Array(nonEmpty.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of nonEmpty) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}

/** An origin body with the keys masked (the body itself when there are none). */
export function scrubBody(
  body: ReadableStream<Uint8Array>,
  secrets: readonly string[],
): ReadableStream<Uint8Array> {
  const scrubber = new SecretScrubber(secrets);
  if (!scrubber.active) return body;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        const out = scrubber.push(chunk);
        if (out.byteLength > 0) controller.enqueue(out);
      },
      flush(controller) {
        const out = scrubber.flush();
        if (out.byteLength > 0) controller.enqueue(out);
      },
    }),
  );
}

/** Masks the keys in header values, in place. */
export function scrubHeaders(headers: Headers, secrets: readonly string[]): Headers {
  const keys = secrets.filter((s) => s.length >= MIN_SECRET_LENGTH);
  const changed: Array<[string, string]> = [];
  headers.forEach((value, name) => {
    const masked = keys.reduce((v, k) => v.replaceAll(k, "[redacted]"), value);
    if (masked !== value) changed.push([name, masked]);
  });
  for (const [name, value] of changed) headers.set(name, value);
  return headers;
}
