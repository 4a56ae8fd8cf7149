/**
 * LLM-as-judge through any OpenAI-compatible chat endpoint, with the versioned
 * rubrics of `../rubrics/`. The judge must answer with one bare JSON object of
 * exactly the rubric's keys; anything else (prose, code fences, extra keys,
 * out-of-range scores, a failed call) is missing, never a pass.
 */
import * as z from "zod";
import { QUALITY_METRICS } from "../../../contracts/quality";
import { PAIRWISE_PROMPT, SCORE_PROMPT, pairwiseInput, scoreInput } from "../rubrics/v1";
import { missing, type Scores } from "./result";

export const CHAT_PATH = "/v1/chat/completions";

function chatRequest(model: string, system: string, user: string): Record<string, unknown> {
  return {
    model,
    temperature: 0,
    response_format: { type: "json_object" },
    messages: [
      { role: "system", content: system },
      { role: "user", content: user },
    ],
  };
}

export function scoreRequest(
  model: string,
  texts: { prompt: string; context: string | null; answer: string },
): Record<string, unknown> {
  return chatRequest(model, SCORE_PROMPT, scoreInput(texts.prompt, texts.context, texts.answer));
}

export function pairwiseRequest(
  model: string,
  texts: { prompt: string; context: string | null },
  answerA: string,
  answerB: string,
): Record<string, unknown> {
  return chatRequest(
    model,
    PAIRWISE_PROMPT,
    pairwiseInput(texts.prompt, texts.context, answerA, answerB),
  );
}

const ChatResponseSchema = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string() }) })).min(1),
});

/** The bare JSON object in a chat completion's first message, or null. */
export function judgeContent(json: unknown): unknown {
  const chat = ChatResponseSchema.safeParse(json);
  if (!chat.success) return null;
  const text = chat.data.choices[0]!.message.content.trim();
  if (!text.startsWith("{") || !text.endsWith("}")) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const Score = z.int().min(1).max(5);
export const JudgeScoreSchema = z.strictObject({
  relevance: Score,
  coherence: Score,
  hallucination: z.boolean().nullable(),
});

/**
 * Scores from a judge's chat completion. `hasContext` decides whether the
 * hallucination verdict counts: without context it is ignored; with context
 * it must be a boolean.
 *
 * @example
 * scoreFromJudge(chatCompletion('{"relevance":4,"coherence":5,"hallucination":false}'), true);
 * // { ok: true, metrics: { relevance: 4, coherence: 5, hallucination: 0 } }
 */
export function scoreFromJudge(json: unknown, hasContext: boolean): Scores {
  const parsed = JudgeScoreSchema.safeParse(judgeContent(json));
  if (!parsed.success) return missing("unparseable", "judge output is not the rubric's JSON");
  const s = parsed.data;
  const metrics: Record<string, number> = {
    [QUALITY_METRICS.relevance]: s.relevance,
    [QUALITY_METRICS.coherence]: s.coherence,
  };
  if (hasContext) {
    if (s.hallucination === null)
      return missing(
        "unparseable",
        "judge gave no hallucination verdict although there is context",
      );
    metrics[QUALITY_METRICS.hallucination] = s.hallucination ? 1 : 0;
  }
  return { ok: true, metrics };
}

export const WinnerSchema = z.strictObject({ winner: z.enum(["A", "B", "tie"]) });
export type Winner = z.infer<typeof WinnerSchema>["winner"];

/** The winner from a pairwise judge's chat completion, or null when unreadable. */
export function winnerFromJudge(json: unknown): Winner | null {
  const parsed = WinnerSchema.safeParse(judgeContent(json));
  return parsed.success ? parsed.data.winner : null;
}
