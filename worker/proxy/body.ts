/**
 * Reading the client's request body safely: the size limit is enforced from
 * `content-length` before reading and again while reading (chunked bodies),
 * bytes must be valid UTF-8, the text valid JSON nested at most 64 levels
 * deep, and the fields the edge itself reads must have their OpenAI types.
 * Every failure is an OpenAI-shaped 4xx before any upstream call.
 */
import * as z from "zod";
import { describeIssues } from "../../contracts/config";
import { ApiError } from "../errors";

/** Deeper JSON is refused: no OpenAI request needs it, and it can exhaust a parser's stack. */
export const MAX_JSON_DEPTH = 64;

/**
 * Types of the request fields the edge reads (routing, prompt hashing,
 * sampling); all other fields are the origin's business. `model` is checked
 * by the proxy itself.
 */
export const RequestFieldsSchema = z.looseObject({
  stream: z.boolean().nullish(),
  messages: z.array(z.looseObject({})).nullish(),
  // Completions: text or tokens; Responses: a prompt template reference.
  prompt: z.union([z.string(), z.array(z.unknown()), z.looseObject({})]).nullish(),
  input: z.union([z.string(), z.array(z.unknown())]).nullish(),
  instructions: z.string().nullish(),
  user: z.string().nullish(),
  safety_identifier: z.string().nullish(),
  stream_options: z.looseObject({}).nullish(),
  response_format: z.looseObject({}).nullish(),
});

/** Strict: invalid UTF-8 throws (a fatal decoder can be reused: each `decode` is complete). */
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

const isObject = (v: unknown): boolean => typeof v === "object" && v !== null && !Array.isArray(v);
const isString = (v: unknown): boolean => typeof v === "string";
const absent = (v: unknown): boolean => v === undefined || v === null;

/**
 * The same check as `RequestFieldsSchema` without building a parsed copy of
 * the body: true only for bodies the schema accepts. Run on every request;
 * the schema itself runs only when this fails, to name the field and problem.
 */
export function hasRequestFieldTypes(b: Record<string, unknown>): boolean {
  const { stream, messages, prompt, input } = b;
  return (
    (absent(stream) || typeof stream === "boolean") &&
    (absent(messages) || (Array.isArray(messages) && messages.every(isObject))) &&
    (absent(prompt) || isString(prompt) || Array.isArray(prompt) || isObject(prompt)) &&
    (absent(input) || isString(input) || Array.isArray(input)) &&
    (absent(b.instructions) || isString(b.instructions)) &&
    (absent(b.user) || isString(b.user)) &&
    (absent(b.safety_identifier) || isString(b.safety_identifier)) &&
    (absent(b.stream_options) || isObject(b.stream_options)) &&
    (absent(b.response_format) || isObject(b.response_format))
  );
}

/**
 * Deepest nesting of arrays and objects in JSON text, without parsing it.
 *
 * @example
 * jsonDepth('{"a":[1,{"b":2}]}'); // 3
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

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
  // With a declared length the runtime reads the body natively (it enforces the
  // framing); only a chunked body is read, and limited, chunk by chunk here.
  const bytes =
    declared !== null
      ? new Uint8Array(await req.arrayBuffer())
      : await readLimited(req.body, maxBytes);
  if (bytes.byteLength > maxBytes) throw tooLarge(maxBytes);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ApiError(
      400,
      "invalid_request_error",
      "invalid_encoding",
      "The request body is not valid UTF-8.",
    );
  }
  if (jsonDepth(text) > MAX_JSON_DEPTH) {
    throw new ApiError(
      400,
      "invalid_request_error",
      "invalid_json",
      `The request body is nested more than ${MAX_JSON_DEPTH} levels deep.`,
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
  const fields = hasRequestFieldTypes(value as Record<string, unknown>)
    ? null
    : RequestFieldsSchema.safeParse(value);
  if (fields && !fields.success) {
    throw new ApiError(
      400,
      "invalid_request_error",
      "invalid_type",
      describeIssues(fields.error).join("; "),
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
