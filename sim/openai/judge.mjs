// @ts-check
/**
 * The simulated LLM judge. A chat request whose system message starts with
 * an llm-canary rubric marker (`[llm-canary rubric v1: score]` or
 * `[llm-canary rubric v1: pairwise]`, see worker/eval/rubrics/v1.ts) gets a
 * deterministic JSON verdict instead of the normal answer:
 *
 * - score: `{"relevance", "coherence", "hallucination"}` from ../quality.mjs
 *   (hallucination is null when the CONTEXT section is "(none)");
 * - pairwise: the answer with fewer defects wins. With equal defects the
 *   judge picks A: a deliberate position bias, so that the edge's position
 *   swap has something to cancel.
 *
 * An unknown rubric version gets prose, which a strict parser must refuse.
 */
import { contentText, isObject } from "../text.mjs";
import { defects, hallucinates, isRepetitive, relevance } from "../quality.mjs";

const MARKER = /^\[llm-canary rubric (v\d+): (score|pairwise)\]/;
const SCORE_INPUT = /^PROMPT:\n([\s\S]*?)\n\nCONTEXT:\n([\s\S]*?)\n\nANSWER:\n([\s\S]*)$/;
const PAIR_INPUT =
  /^PROMPT:\n([\s\S]*?)\n\nCONTEXT:\n([\s\S]*?)\n\nANSWER A:\n([\s\S]*?)\n\nANSWER B:\n([\s\S]*)$/;

/**
 * @param {unknown[]} messages
 * @param {string} role
 */
function firstOf(messages, role) {
  const m = messages.find((x) => isObject(x) && x.role === role);
  return isObject(m) ? contentText(m.content) : "";
}

/**
 * The judge's reply text for a chat request body, or null when the request
 * is not a judge request.
 *
 * @example
 *   judgeReply({ messages: [{ role: "system", content: "[llm-canary rubric v1: score]\n..." },
 *     { role: "user", content: "PROMPT:\nuser: hi\n\nCONTEXT:\n(none)\n\nANSWER:\nhello" }] });
 *   // => '{"relevance":2,"coherence":5,"hallucination":null}'
 *
 * @param {Record<string, unknown>} body
 * @returns {string | null}
 */
export function judgeReply(body) {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const marker = MARKER.exec(firstOf(messages, "system"));
  if (!marker) return null;
  if (marker[1] !== "v1") return "I am not sure which rubric this is.";
  const input = firstOf(messages, "user");
  if (marker[2] === "score") {
    const m = SCORE_INPUT.exec(input);
    if (!m) return "The grading input is malformed.";
    const [, prompt = "", context = "", answer = ""] = m;
    return JSON.stringify({
      relevance: relevance(prompt, answer),
      coherence: isRepetitive(answer) ? 2 : 5,
      hallucination: context === "(none)" ? null : hallucinates(answer),
    });
  }
  const m = PAIR_INPUT.exec(input);
  if (!m) return "The comparison input is malformed.";
  const [, , , a = "", b = ""] = m;
  const da = defects(a);
  const db = defects(b);
  return JSON.stringify({ winner: db < da ? "B" : "A" });
}
