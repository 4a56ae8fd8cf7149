/**
 * Refusal detection: an explicit `refusal` field from the origin, or an answer
 * that opens with one of a documented list of refusal phrases. Matching only
 * the opening keeps "I can't stress enough how…" deep in an answer from
 * counting. The list is configurable per deployment (`settings.quality`).
 */

/** Default phrases, matched case-insensitively at the start of the answer (after whitespace). */
export const DEFAULT_REFUSAL_PHRASES = [
  "i'm sorry, but i can't",
  "i'm sorry, but i cannot",
  "i am sorry, but i cannot",
  "sorry, i can't help with",
  "i can't help with that",
  "i cannot help with that",
  "i can't assist with that",
  "i cannot assist with that",
  "i'm unable to help with",
  "i am unable to help with",
  "i won't be able to help",
  "as an ai language model, i cannot",
];

/** Window at the start of the answer that a phrase must fall within. */
const OPENING_CHARS = 160;

export function isRefusal(
  text: string,
  phrases: readonly string[] = DEFAULT_REFUSAL_PHRASES,
): boolean {
  const opening = text.trimStart().slice(0, OPENING_CHARS).toLowerCase().replaceAll("’", "'");
  return phrases.some((p) => opening.includes(p.toLowerCase()));
}
