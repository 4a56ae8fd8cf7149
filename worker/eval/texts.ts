/**
 * The texts of a request that an evaluator sees: the conversation (PROMPT),
 * the reference material the model was given (CONTEXT) and the answer, each
 * redacted (worker/quality/redact.ts) and capped. Pure.
 *
 * Context rule (what makes a hallucination judgeable): the content of
 * `system`, `developer` and `tool` messages of a chat request, the
 * `instructions` of a Responses request, and a top-level string field
 * `context`. A request with none of these has no context, and the judge's
 * hallucination verdict is not recorded for it.
 */
import { redactForSample } from "../quality/redact";
import { SAMPLE_TEXT_MAX } from "./job";

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const CONTEXT_ROLES = new Set(["system", "developer", "tool"]);

/** Text of an OpenAI `content` value: a string or parts with `text`. */
function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((p) => (isObj(p) && typeof p.text === "string" ? p.text : ""))
    .filter((t) => t.length > 0)
    .join("\n");
}

interface Split {
  conversation: string[];
  context: string[];
}

function fromMessages(items: unknown[], out: Split): void {
  for (const m of items) {
    if (!isObj(m)) continue;
    const role = typeof m.role === "string" ? m.role : "user";
    const text = contentText(m.content);
    if (text.length === 0) continue;
    if (CONTEXT_ROLES.has(role)) out.context.push(text);
    else out.conversation.push(`${role}: ${text}`);
  }
}

/** Conversation and context of a chat, Responses or legacy completions request. */
export function splitRequest(body: Record<string, unknown>): {
  conversation: string;
  context: string | null;
} {
  const out: Split = { conversation: [], context: [] };
  if (Array.isArray(body.messages)) fromMessages(body.messages, out);
  if (typeof body.instructions === "string") out.context.push(body.instructions);
  if (typeof body.input === "string") out.conversation.push(`user: ${body.input}`);
  else if (Array.isArray(body.input)) fromMessages(body.input, out);
  if (typeof body.prompt === "string") out.conversation.push(body.prompt);
  else if (Array.isArray(body.prompt))
    out.conversation.push(...body.prompt.filter((p): p is string => typeof p === "string"));
  if (typeof body.context === "string") out.context.push(body.context);
  const context = out.context.join("\n\n").trim();
  return {
    conversation: out.conversation.join("\n"),
    context: context.length > 0 ? context : null,
  };
}

export interface EvalTexts {
  prompt: string;
  context: string | null;
  answer: string;
}

/**
 * Redacted, capped texts for an evaluation job. The prompt keeps its end (the
 * latest turns), context and answer keep their start.
 *
 * @example
 * evalTexts({ messages: [{ role: "user", content: "Mail me: a@b.io" }] }, "Sure.");
 * // { prompt: "user: Mail me: [email]", context: null, answer: "Sure." }
 */
export function evalTexts(body: Record<string, unknown>, answer: string): EvalTexts {
  const { conversation, context } = splitRequest(body);
  return {
    prompt: redactForSample(conversation, SAMPLE_TEXT_MAX, "tail"),
    context: context === null ? null : redactForSample(context, SAMPLE_TEXT_MAX, "head"),
    answer: redactForSample(answer, SAMPLE_TEXT_MAX, "head"),
  };
}
