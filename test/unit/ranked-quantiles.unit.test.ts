/**
 * The quantile statistics rank an arm's bins once (sorted, cumulative
 * counts) and answer every rank by bisection: the same values as reading the
 * sorted bins from the start (`quantileFromBins`, `valueAtRank` of
 * contracts/sketch.ts), and the tail test's count beyond a threshold equal
 * to summing the bins wholly beyond it.
 */
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../analyzer/sim/prng";
import {
  quantileCS,
  quantileEstimate,
  sketchCount,
  tailExceedance,
} from "../../analyzer/stats/quantiles";
import { binIndex, quantileFromBins, sortedBins, valueAtRank } from "../../contracts/sketch";

function randomBins(rand: () => number): Array<[number, number]> {
  const bins = new Map<number, number>();
  const size = Math.floor(rand() * 300);
  for (let i = 0; i < size; i++) {
    const k = 200 + Math.floor(rand() * 400);
    bins.set(k, (bins.get(k) ?? 0) + (rand() < 0.05 ? 0 : 1 + Math.floor(rand() * 40)));
  }
  const out = [...bins];
  // Any order: the readers' bins come sorted, hand-built ones need not.
  if (rand() < 0.5) out.reverse();
  return out;
}

describe("ranked sketch bins", () => {
  it("give the quantiles and ranks of a linear read", () => {
    const rand = mulberry32(21);
    for (let t = 0; t < 300; t++) {
      const bins = randomBins(rand);
      const sorted = sortedBins(bins);
      const n = sorted.reduce((a, [, c]) => a + c, 0);
      expect(sketchCount(bins)).toBe(n);
      for (const q of [0.01, 0.5, 0.95, 0.99, 1])
        expect(quantileEstimate(bins, q)).toBe(quantileFromBins(bins, q));
      // The order-statistic bounds sit on bin values at their ranks, whatever the input order.
      const d = 1 + rand() * 5;
      const cs = quantileCS(bins, 0.95, 0.05, 1000, d);
      expect(quantileCS(sorted, 0.95, 0.05, 1000, d)).toEqual(cs);
      expect(cs.estimate).toBe(
        n > 0 ? valueAtRank(sorted, Math.max(1, Math.ceil(0.95 * n))) : null,
      );
    }
  });

  it("count the canary's tail beyond the threshold as a sum over whole bins", () => {
    const rand = mulberry32(22);
    for (let t = 0; t < 300; t++) {
      const stable = randomBins(rand);
      const canary = randomBins(rand);
      for (const higherIsWorse of [true, false]) {
        const test = { q: 0.95, bar: 0.9 + rand() * 0.3, kind: "ratio" as const, higherIsWorse };
        const r = tailExceedance(
          stable,
          canary,
          test,
          { stable: 1, canary: 1 },
          { alpha: 0.05, planned: 1000 },
        );
        if (!r) continue;
        const edge = binIndex(r.threshold);
        const beyond = canary
          .filter(([i]) => (higherIsWorse ? i > edge : i < edge))
          .reduce((a, [, c]) => a + c, 0);
        expect(r.beyond).toBe(beyond);
      }
    }
  });
});
