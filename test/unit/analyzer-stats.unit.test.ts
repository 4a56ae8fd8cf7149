/**
 * The analyzer's statistics against reference values computed independently
 * by test/reference/analyzer_stats.py (see its header for how), plus seeded
 * coverage checks of the anytime-valid guarantees.
 */
import { describe, expect, it } from "vitest";
import { addToBins } from "../../contracts/sketch";
import { betaBinomialCountInterval } from "../../analyzer/stats/beta-binomial";
import { csMultiplier, rhoSquaredFor } from "../../analyzer/stats/confidence-sequence";
import { lgamma } from "../../analyzer/stats/lgamma";
import { armMoments, differenceCS, ratioCS } from "../../analyzer/stats/means";
import { splitAlpha } from "../../analyzer/stats/multiplicity";
import { quantileCS, quantileRatioCS } from "../../analyzer/stats/quantiles";
import { srmTest } from "../../analyzer/stats/srm";
import { mulberry32, normal } from "../../analyzer/sim/prng";
import type { SketchBins } from "../../analyzer/window";
import reference from "../reference/analyzer-stats.json";

const close = (actual: number, expected: number, rel = 1e-9) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(expected)));

describe("lgamma", () => {
  it.each(reference.lgamma)("matches math.lgamma at $x", ({ x, value }) => {
    close(lgamma(x), value, 1e-13);
  });
});

describe("normal-mixture confidence sequence", () => {
  it.each(reference.csMultiplier)(
    "multiplier at t=$t alpha=$alpha planned=$planned matches Robbins' form",
    ({ t, alpha, planned, value }) => {
      close(csMultiplier(t, alpha, rhoSquaredFor(alpha, planned)), value, 1e-12);
    },
  );

  it.each(reference.twoSample)(
    "difference and ratio for $kind arms",
    ({ kind, stable, canary, alpha, planned, difference, ratio }) => {
      const k = kind as "rate" | "mean";
      const s = armMoments(stable, k);
      const c = armMoments(canary, k);
      if (!s || !c) throw new Error("fixture has samples");
      const d = differenceCS(s, c, { alpha, planned });
      close(d.estimate, difference.estimate);
      close(d.lower, difference.lower);
      close(d.upper, difference.upper);
      const r = ratioCS(s, c, { alpha, planned });
      expect(r).not.toBeNull();
      close(r?.lower ?? NaN, ratio.lower);
      close(r?.upper ?? NaN, ratio.upper);
    },
  );

  it("is wider than a fixed-n interval and tightest near the planned size", () => {
    const rho = rhoSquaredFor(0.05, 1000);
    expect(csMultiplier(1000, 0.05, rho) * Math.sqrt(1000)).toBeGreaterThan(1.96);
    const atPlanned = csMultiplier(1000, 0.05, rho) * Math.sqrt(1000);
    const elsewhere = csMultiplier(1000, 0.05, rhoSquaredFor(0.05, 50_000)) * Math.sqrt(1000);
    expect(atPlanned).toBeLessThan(elsewhere);
  });

  it("covers the true mean at every look in at least 1 - alpha of seeded runs", () => {
    const alpha = 0.05;
    let misses = 0;
    const runs = 200;
    for (let seed = 1; seed <= runs; seed++) {
      const rand = mulberry32(seed);
      let n = 0;
      let sum = 0;
      let sumSq = 0;
      let missed = false;
      for (let i = 0; i < 2000 && !missed; i++) {
        const x = normal(rand) * 2 + 5;
        n += 1;
        sum += x;
        sumSq += x * x;
        if (n >= 10 && n % 10 === 0) {
          const m = armMoments({ n, sum, sumSq }, "mean");
          if (!m) continue;
          const r = Math.sqrt(m.variance) * csMultiplier(n, alpha, rhoSquaredFor(alpha, 500));
          if (Math.abs(m.mean - 5) > r) missed = true;
        }
      }
      if (missed) misses += 1;
    }
    expect(misses / runs).toBeLessThanOrEqual(alpha);
  });
});

describe("beta-binomial count intervals", () => {
  it.each(reference.countInterval)(
    "n=$n p0=$p0 alpha=$alpha matches a full scan",
    ({ n, p0, alpha, planned, lo, hi }) => {
      expect(betaBinomialCountInterval(n, p0, alpha, planned)).toEqual({ lo, hi });
    },
  );
});

describe("quantile bounds", () => {
  it.each(reference.quantile)(
    "q=$q n=$n matches order statistics of the binned sample",
    ({ bins, q, alpha, planned, estimate, lower, upper }) => {
      const b = quantileCS(bins as SketchBins, q, alpha, planned);
      close(b.estimate ?? NaN, estimate);
      close(b.lower, lower);
      if (upper === null) expect(b.upper).toBe(Number.POSITIVE_INFINITY);
      else close(b.upper, upper);
    },
  );

  it("holds at every look for the true p95 in at least 1 - alpha of seeded runs", () => {
    const alpha = 0.05;
    const truth = 100 * Math.exp(0.5 * 1.6448536269514722);
    let misses = 0;
    const runs = 100;
    for (let seed = 1; seed <= runs; seed++) {
      const rand = mulberry32(seed);
      const bins = new Map<number, number>();
      for (let i = 1; i <= 3000; i++) {
        addToBins(bins, 100 * Math.exp(0.5 * normal(rand)));
        if (i % 100 === 0) {
          const b = quantileCS([...bins], 0.95, alpha, 1000);
          if (b.lower > truth || b.upper < truth) {
            misses += 1;
            break;
          }
        }
      }
    }
    expect(misses / runs).toBeLessThanOrEqual(alpha);
  });

  it("bounds the ratio by the arms' opposite ends", () => {
    const stable = new Map<number, number>();
    const canary = new Map<number, number>();
    const rand = mulberry32(7);
    for (let i = 0; i < 20_000; i++) addToBins(stable, 100 * Math.exp(0.4 * normal(rand)));
    for (let i = 0; i < 2_000; i++) addToBins(canary, 130 * Math.exp(0.4 * normal(rand)));
    const cmp = quantileRatioCS([...stable], [...canary], 0.95, 0.01, 1000);
    expect(cmp.effect).not.toBeNull();
    close(cmp.effect?.lower ?? NaN, cmp.canary.lower / cmp.stable.upper);
    close(cmp.effect?.upper ?? NaN, cmp.canary.upper / cmp.stable.lower);
    expect(cmp.effect?.lower).toBeLessThan(1.3);
    expect(cmp.effect?.upper).toBeGreaterThan(1.3);
    expect(cmp.effect?.lower).toBeGreaterThan(1);
  });
});

describe("sample-ratio mismatch", () => {
  it.each(reference.srm)(
    "$canary canary of $stable stable at share $share",
    ({ stable, canary, share, alpha, planned, logEValue, pValue, mismatch }) => {
      const r = srmTest(stable, canary, share, alpha, planned);
      close(r.logEValue, logEValue, 1e-8);
      close(r.pValue, pValue, 1e-6);
      expect(r.mismatch).toBe(mismatch);
    },
  );
});

describe("multiplicity", () => {
  it("keeps half the budget for the all slice", () => {
    expect(splitAlpha(0.05, 2, 10)).toEqual({ all: 0.0125, other: 0.00125 });
    expect(splitAlpha(0.05, 2, 0)).toEqual({ all: 0.025, other: 0.025 });
  });
});
