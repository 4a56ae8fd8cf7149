/**
 * Judge rubrics, version 1. The prompts are part of the measurement: changing
 * a word changes the scores, so a change is a new version (a new file), never
 * an edit of this one. Each prompt starts with a marker line naming its
 * version, which the simulated judge (sim/openai/judge.mjs) recognises.
 */

export const RUBRIC_VERSION = "v1";

/** First line of the score rubric; also the simulated judge's cue. */
export const SCORE_MARKER = "[llm-canary rubric v1: score]";
/** First line of the pairwise rubric. */
export const PAIRWISE_MARKER = "[llm-canary rubric v1: pairwise]";

export const SCORE_PROMPT = `${SCORE_MARKER}
You grade one answer of an AI assistant. You receive the conversation (PROMPT),
optional reference material the assistant was given (CONTEXT) and the ANSWER.
Personal data has been replaced by placeholders such as [email]; ignore them.

Score:
- relevance (integer 1-5): 5 = answers exactly what was asked; 3 = partly on topic;
  1 = ignores the question, refuses without reason, or talks about something else.
- coherence (integer 1-5): 5 = clear, well-formed and consistent; 3 = understandable
  but repetitive or disorganised; 1 = broken, looping or self-contradictory.
- hallucination (true or false): true when the ANSWER states facts that the CONTEXT
  does not support or contradicts. When CONTEXT is "(none)", answer null.

Reply with one JSON object and nothing else, exactly these keys:
{"relevance": <1-5>, "coherence": <1-5>, "hallucination": <true|false|null>}`;

export const PAIRWISE_PROMPT = `${PAIRWISE_MARKER}
You compare two answers (A and B) of AI assistants to the same conversation
(PROMPT), with optional reference material (CONTEXT). Personal data has been
replaced by placeholders such as [email]; ignore them.

Prefer the answer that is more relevant, correct (supported by the CONTEXT when
there is one), safe and coherent. Length and style alone are not reasons to
prefer an answer. If they are equally good, say "tie".

Reply with one JSON object and nothing else:
{"winner": "A" | "B" | "tie"}`;

/** The user message of a score request. */
export function scoreInput(prompt: string, context: string | null, answer: string): string {
  return `PROMPT:\n${prompt}\n\nCONTEXT:\n${context ?? "(none)"}\n\nANSWER:\n${answer}`;
}

/** The user message of a pairwise request. */
export function pairwiseInput(
  prompt: string,
  context: string | null,
  answerA: string,
  answerB: string,
): string {
  return `PROMPT:\n${prompt}\n\nCONTEXT:\n${context ?? "(none)"}\n\nANSWER A:\n${answerA}\n\nANSWER B:\n${answerB}`;
}
