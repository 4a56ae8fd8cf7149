/**
 * Reading what an origin answered, from the bytes already passing through to
 * the client (never buffering the client's stream). Pure and incremental:
 * chunks may split lines, JSON and multi-byte characters anywhere.
 *
 * Understands OpenAI chat/completions streams (`data: {...}` … `data: [DONE]`),
 * Responses API streams (`response.output_text.delta` … `response.completed`)
 * and plain JSON bodies.
 */

export interface Inspection {
  /** Stream reached its end marker; JSON body parsed. */
  completed: boolean;
  /** Malformed SSE or an in-band error event/object. */
  error: "malformed" | "inband_error" | null;
  finishReason: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  /** Content deltas seen (a token count when the origin sends no usage). */
  contentEvents: number;
  completionChars: number;
  /** Time of the first content delta (caller's clock). */
  firstTokenAt: number | null;
  /** The answer text, up to `TEXT_CAP` characters (for quality signals only; never stored). */
  text: string;
  /** Tool-call arguments by call index, each up to `TEXT_CAP` characters. */
  toolArgs: string[];
  /** An explicit refusal (`refusal` field) was sent. */
  refused: boolean;
  logprobSum: number;
  logprobCount: number;
}

/** Characters of answer text kept for quality signals. */
export const TEXT_CAP = 32 * 1024;

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

function emptyInspection(): Inspection {
  return {
    completed: false,
    error: null,
    finishReason: null,
    inputTokens: null,
    outputTokens: null,
    contentEvents: 0,
    completionChars: 0,
    firstTokenAt: null,
    text: "",
    toolArgs: [],
    refused: false,
    logprobSum: 0,
    logprobCount: 0,
  };
}

function readUsage(r: Inspection, usage: unknown): void {
  if (!isObj(usage)) return;
  r.inputTokens = num(usage.prompt_tokens) ?? num(usage.input_tokens) ?? r.inputTokens;
  r.outputTokens = num(usage.completion_tokens) ?? num(usage.output_tokens) ?? r.outputTokens;
}

/** Content text of one chat/completions choice or Responses delta event. */
function contentOf(event: Json): string {
  if (typeof event.delta === "string" && event.type === "response.output_text.delta")
    return event.delta;
  const choices = Array.isArray(event.choices) ? event.choices : [];
  let text = "";
  for (const c of choices) {
    if (!isObj(c)) continue;
    const delta = isObj(c.delta) ? c.delta : isObj(c.message) ? c.message : null;
    if (delta && typeof delta.content === "string") text += delta.content;
    if (typeof c.text === "string") text += c.text;
  }
  return text;
}

function appendCapped(current: string, more: string): string {
  return current.length >= TEXT_CAP ? current : (current + more).slice(0, TEXT_CAP);
}

/** Tool-call arguments, refusals and logprobs of an event's choices. */
function readExtras(r: Inspection, event: Json): void {
  const choices = Array.isArray(event.choices) ? event.choices : [];
  for (const c of choices) {
    if (!isObj(c)) continue;
    const delta = isObj(c.delta) ? c.delta : isObj(c.message) ? c.message : null;
    if (delta) {
      if (typeof delta.refusal === "string" && delta.refusal.length > 0) r.refused = true;
      const calls = Array.isArray(delta.tool_calls) ? delta.tool_calls : [];
      calls.forEach((call, position) => {
        if (!isObj(call) || !isObj(call.function) || typeof call.function.arguments !== "string")
          return;
        const index = typeof call.index === "number" ? call.index : position;
        r.toolArgs[index] = appendCapped(r.toolArgs[index] ?? "", call.function.arguments);
      });
    }
    const lp = isObj(c.logprobs) && Array.isArray(c.logprobs.content) ? c.logprobs.content : [];
    for (const t of lp) {
      const v = isObj(t) ? num(t.logprob) : null;
      if (v !== null) {
        r.logprobSum += v;
        r.logprobCount += 1;
      }
    }
  }
}

function finishOf(event: Json): string | null {
  const choices = Array.isArray(event.choices) ? event.choices : [];
  for (const c of choices) {
    if (isObj(c) && typeof c.finish_reason === "string") return c.finish_reason;
  }
  if (
    isObj(event.response) &&
    typeof event.response.status === "string" &&
    event.type === "response.completed"
  ) {
    return "stop";
  }
  return null;
}

function applyEvent(r: Inspection, event: Json, now: number): void {
  if ("error" in event && event.error !== null && event.error !== undefined) {
    r.error ??= "inband_error";
    return;
  }
  const type = typeof event.type === "string" ? event.type : null;
  if (type === "error" || type === "response.failed") {
    r.error ??= "inband_error";
    return;
  }
  const text = contentOf(event);
  if (text.length > 0) {
    r.contentEvents += 1;
    r.completionChars += text.length;
    r.firstTokenAt ??= now;
    r.text = appendCapped(r.text, text);
  }
  readExtras(r, event);
  r.finishReason = finishOf(event) ?? r.finishReason;
  readUsage(r, event.usage);
  if (type === "response.completed" && isObj(event.response)) {
    readUsage(r, event.response.usage);
    r.completed = true;
  }
}

/** Incremental parser for a server-sent-events body. */
export class SseInspector {
  readonly result = emptyInspection();
  private buffer = "";
  private readonly decoder = new TextDecoder();

  push(chunk: Uint8Array, now: number): void {
    const text = this.buffer + this.decoder.decode(chunk, { stream: true });
    let from = 0;
    let nl = text.indexOf("\n");
    while (nl !== -1) {
      const end = nl > from && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl; // CRLF
      if (end > from) this.line(text.slice(from, end), now); // blank separators carry nothing
      from = nl + 1;
      nl = text.indexOf("\n", from);
    }
    this.buffer = from === 0 ? text : text.slice(from);
  }

  /** Call at end of stream: a trailing unterminated line is still examined. */
  end(now: number): Inspection {
    this.buffer += this.decoder.decode();
    if (this.buffer.length > 0) this.line(this.buffer, now);
    this.buffer = "";
    return this.result;
  }

  private line(line: string, now: number): void {
    if (!line.startsWith("data:")) return; // comments, event:, id:, retry:, blank separators
    const data = line.slice(5).trimStart();
    if (data === "[DONE]") {
      this.result.completed = true;
      return;
    }
    let event: unknown;
    try {
      event = JSON.parse(data);
    } catch {
      this.result.error ??= "malformed";
      return;
    }
    if (isObj(event)) applyEvent(this.result, event, now);
    else this.result.error ??= "malformed";
  }
}

/** Inspector for a non-streamed JSON body; keeps at most `cap` bytes. */
export class JsonInspector {
  private readonly parts: Uint8Array[] = [];
  private size = 0;
  private firstAt: number | null = null;

  constructor(private readonly cap = 1024 * 1024) {}

  push(chunk: Uint8Array, now: number): void {
    this.firstAt ??= now;
    if (this.size + chunk.byteLength <= this.cap) this.parts.push(chunk);
    this.size += chunk.byteLength;
  }

  end(): Inspection {
    const r = emptyInspection();
    if (this.size > this.cap) return { ...r, completed: true };
    const bytes = new Uint8Array(this.size);
    let offset = 0;
    for (const p of this.parts) {
      bytes.set(p, offset);
      offset += p.byteLength;
    }
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      return { ...r, error: "malformed" };
    }
    if (!isObj(body)) return { ...r, error: "malformed" };
    applyEvent(r, body, this.firstAt ?? 0);
    if (Array.isArray(body.output)) {
      const text = responsesOutputText(body.output);
      r.completionChars += text.length;
      r.text = appendCapped(r.text, text);
    }
    r.completed = r.error === null;
    return r;
  }
}

/** The text in a Responses API `output` array. */
function responsesOutputText(output: unknown[]): string {
  let text = "";
  for (const item of output) {
    if (!isObj(item) || !Array.isArray(item.content)) continue;
    for (const part of item.content)
      if (isObj(part) && typeof part.text === "string") text += part.text;
  }
  return text;
}
