/**
 * Reading the client's request body safely: the size limit is enforced from
 * `content-length` before reading and again while reading (chunked bodies),
 * bytes must be valid UTF-8 and the text valid JSON. Every failure is an
 * OpenAI-shaped 4xx before any upstream call.
 */
import { ApiError } from "../errors";

export async function readJsonBody(
  req: Request,
  maxBytes: number,
): Promise<Record<string, unknown>> {
  const declared = req.headers.get("content-length");
  if (declared !== null) {
    if (!/^\d+$/.test(declared)) {
      throw new ApiError(
        400,
        "invalid_request_error",
        "invalid_content_length",
        "Content-Length must be a number.",
      );
    }
    if (Number(declared) > maxBytes) throw tooLarge(maxBytes);
  }
  const bytes = await readLimited(req.body, maxBytes);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ApiError(
      400,
      "invalid_request_error",
      "invalid_encoding",
      "The request body is not valid UTF-8.",
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError(
      400,
      "invalid_request_error",
      "invalid_json",
      "The request body is not valid JSON.",
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ApiError(
      400,
      "invalid_request_error",
      "invalid_body",
      "The request body must be a JSON object.",
    );
  }
  return value as Record<string, unknown>;
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(
    413,
    "invalid_request_error",
    "request_too_large",
    `The request body exceeds ${maxBytes} bytes.`,
  );
}

async function readLimited(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<Uint8Array> {
  if (!body) return new Uint8Array();
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}
