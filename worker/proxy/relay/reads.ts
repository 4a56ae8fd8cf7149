/**
 * Reads of an origin body in slices: with a BYOB reader into one reused
 * buffer, a read takes every byte already buffered (up to `bytes`), without
 * waiting for more; a body that is not a byte stream is read chunk by chunk.
 * Each slice is a copy the caller owns.
 */
export function sliceReader(
  body: ReadableStream<Uint8Array>,
  bytes: number,
): () => Promise<Uint8Array | null> {
  let byob: ReadableStreamBYOBReader | null;
  try {
    byob = body.getReader({ mode: "byob" });
  } catch {
    byob = null; // not a byte stream
  }
  if (byob) {
    const reader = byob;
    let buf = new Uint8Array(bytes);
    return async () => {
      const next = await reader.read(buf);
      if (next.done) return null;
      buf = new Uint8Array(next.value.buffer);
      return next.value.slice();
    };
  }
  const reader = body.getReader();
  return async () => {
    const next = await reader.read();
    return next.done ? null : next.value;
  };
}
