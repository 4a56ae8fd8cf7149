/**
 * `indicatorDesignEffect` (analyzer/stats/clustered.ts) reads an arm's
 * per-(unit group, coarse bin) counts through prefix sums built once per
 * array; it must give exactly what summing the counts beyond the edge group
 * by group gives, at every edge, in either direction.
 */
import { describe, expect, it } from "vitest";
import { designEffect, indicatorDesignEffect } from "../../analyzer/stats/clustered";
import { mulberry32 } from "../../analyzer/sim/prng";
import { COARSE_SPAN, groupBinKey, splitGroupBinKey } from "../../contracts/sketch";
import { packGroupBins, type GroupSums } from "../../contracts/rollup";

/** The definition, written out: per group, all counts and those beyond the edge. */
function direct(groupBins: Array<[number, number]>, fineIndex: number, below: boolean) {
  const edge = Math.round(fineIndex / COARSE_SPAN);
  const per = new Map<number, [number, number]>();
  for (const [key, count] of groupBins) {
    if (!(count > 0)) continue;
    const { group, coarse } = splitGroupBinKey(key);
    const g = per.get(group) ?? [0, 0];
    g[0] += count;
    if (below ? coarse < edge : coarse >= edge) g[1] += count;
    per.set(group, g);
  }
  const groups: GroupSums = [...per].map(([g, [n, x]]) => [g, n, x]);
  const n = groups.reduce((a, g) => a + g[1], 0);
  const x = groups.reduce((a, g) => a + g[2], 0);
  const p = (x + 1) / (n + 2);
  return designEffect({ n, sum: x, sumSq: x }, groups, p * (1 - p));
}

describe("indicatorDesignEffect", () => {
  it("equals the group-by-group sum at every edge and direction", () => {
    const rand = mulberry32(5);
    for (let t = 0; t < 200; t++) {
      const bins: Array<[number, number]> = [];
      const groups = 1 + Math.floor(rand() * 64);
      const lo = Math.floor(rand() * 40) - 10;
      for (let i = 0; i < 400; i++) {
        const g = Math.floor(rand() * groups);
        const c = lo + Math.floor(rand() * 25);
        bins.push([groupBinKey(g, c), rand() < 0.05 ? 0 : 1 + Math.floor(rand() * 50)]);
      }
      for (const fine of [-200, lo * COARSE_SPAN, (lo + 7) * COARSE_SPAN + 5, 400, 10_000])
        for (const below of [false, true])
          expect(indicatorDesignEffect(packGroupBins(bins), fine, below)).toEqual(
            direct(bins, fine, below),
          );
    }
  });

  it("is 1 without counts", () => {
    expect(indicatorDesignEffect(undefined, 100, false).deff).toBe(1);
    expect(indicatorDesignEffect(packGroupBins([]), 100, false).deff).toBe(1);
  });
});
