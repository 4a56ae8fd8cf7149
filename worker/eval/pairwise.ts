/**
 * Combining the two judgements of one pair. The judge sees the pair twice
 * with the positions swapped (first A = stable, B = canary; then A = canary,
 * B = stable), which cancels a judge's preference for a position: a verdict
 * counts only when it survives the swap.
 *
 * | first order | swapped order | canary result |
 * | ----------- | ------------- | ------------- |
 * | B (canary)  | A (canary)    | 1 (win)       |
 * | A (stable)  | B (stable)    | 0 (loss)      |
 * | anything else (a tie, or A both times, or B both times) | | 0.5 (tie) |
 *
 * "A both times" is the signature of position bias, not of a better answer.
 */
import type { Winner } from "./evaluators/judge";

export type PairResult = 0 | 0.5 | 1;

/**
 * @example
 * combineSwapped("B", "A"); // 1: canary preferred in both positions
 * combineSwapped("A", "A"); // 0.5: the judge preferred whatever came first
 */
export function combineSwapped(stableFirst: Winner, canaryFirst: Winner): PairResult {
  if (stableFirst === "B" && canaryFirst === "A") return 1;
  if (stableFirst === "A" && canaryFirst === "B") return 0;
  return 0.5;
}
