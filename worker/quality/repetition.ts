/**
 * Degeneration signal: the share of word 4-grams in an answer that repeat an
 * earlier 4-gram. 0 for varied text; close to 1 for a model stuck in a loop.
 * Answers shorter than `MIN_WORDS` give no score (too little text to judge).
 */
const N = 4;
export const MIN_WORDS = 20;

/**
 * @example
 * repetitionScore("the cat sat on the mat ".repeat(10)); // ≈ 0.89
 */
export function repetitionScore(text: string): number | null {
  const words = text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
  if (words.length < MIN_WORDS) return null;
  const seen = new Set<string>();
  let repeats = 0;
  const total = words.length - N + 1;
  for (let i = 0; i < total; i++) {
    const gram = words.slice(i, i + N).join(" ");
    if (seen.has(gram)) repeats += 1;
    else seen.add(gram);
  }
  return repeats / total;
}
