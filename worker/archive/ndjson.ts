/**
 * The archive's object bytes: gzip of the outcome NDJSON text
 * (contracts/outcome-ndjson.ts), with `CompressionStream` as in the Worker and
 * in Node.
 */

async function pipeBytes(bytes: Uint8Array, through: ReadableWritablePair<Uint8Array, Uint8Array>) {
  const stream = new Blob([bytes]).stream().pipeThrough(through);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** gzip of `text` (UTF-8), with `CompressionStream` as in the Worker and in Node. */
export function gzipText(text: string): Promise<Uint8Array> {
  return pipeBytes(new TextEncoder().encode(text), new CompressionStream("gzip"));
}

/** The text of a gzip body. */
export async function gunzipText(bytes: Uint8Array): Promise<string> {
  return new TextDecoder().decode(await pipeBytes(bytes, new DecompressionStream("gzip")));
}
