/**
 * Variance when outcomes cluster by user: the analyzer's answer to "the user,
 * not the request, is the unit" (docs/statistics.md › "Users, not requests").
 *
 * Every request carries the group of its assignment unit (`unitGroup` of
 * contracts/assignment.ts: a hash of the user key, or of the request id
 * without one, into 64 groups), and the step rollups keep each metric's count
 * n_g and sum S_g per group. All requests of a user fall in one group, so
 * groups are independent of each other whatever a user's requests share, and
 * the variance *between* groups measures the mean's real uncertainty. For the
 * ratio estimator ȳ = ΣS_g / Σn_g (a mean over requests), the cluster-robust
 * (sandwich) variance with the delta method (Deng, Knoblich and Lu, 2018) is
 *
 *   V = G / (G − 1) · Σ_g (S_g − ȳ n_g)² / N²,
 *
 * over the G groups with data. The design effect is V over the
 * independent-request variance s²/N. It is floored at 1 (a noisy estimate
 * must not claim *more* precision than independent requests) and, with fewer
 * than `MIN_GROUPS` groups, infinite: a handful of users cannot carry a
 * verdict whatever their request count.
 *
 * Comparisons then use the independent variance times the design effect, so
 * the confidence sequences keep their form; their guarantee becomes
 * asymptotic in the number of groups rather than requests.
 */
import type { GroupBins, GroupSums, MetricSums } from "../../contracts/rollup";
import { UNIT_GROUPS } from "../../contracts/assignment";
import { COARSE_SPAN, splitGroupBinKey } from "../../contracts/sketch";

/** Fewer groups with data than this give no verdict (design effect ∞). */
export const MIN_GROUPS = 8;

/** The design effect of an arm's mean, and what it was computed from. */
export interface DesignEffect {
  /** V_cluster / V_independent, ≥ 1; ∞ with fewer than MIN_GROUPS groups; 1 without groups. */
  deff: number;
  /** Groups with data (0 when the arm has no group sums). */
  groups: number;
}

/** Without group sums (per-minute windows, quality scores): independent requests. */
const INDEPENDENT: DesignEffect = { deff: 1, groups: 0 };

/**
 * The design effect of the mean of `sums` from its group sums, or 1 when the
 * groups are absent or do not add up to `sums.n` (an incomplete set).
 * `variance` is the per-observation variance the comparison uses (for rates
 * the smoothed p̃(1 − p̃)).
 *
 * @example
 * // 1,000 requests from 10 groups, all of a group's requests alike:
 * designEffect({ n: 1000, sum: 500, sumSq: 500 }, groups, 0.25).deff // ≫ 1
 */
export function designEffect(
  sums: MetricSums,
  groups: GroupSums | undefined,
  variance: number,
): DesignEffect {
  if (!groups || sums.n <= 1) return INDEPENDENT;
  let n = 0;
  let g = 0;
  for (const [, ng] of groups) {
    if (ng > 0) {
      n += ng;
      g += 1;
    }
  }
  if (Math.abs(n - sums.n) > 0.5) return INDEPENDENT;
  if (g < MIN_GROUPS) return { deff: Number.POSITIVE_INFINITY, groups: g };
  const mean = sums.sum / sums.n;
  let ss = 0;
  for (const [, ng, sg] of groups) {
    const r = sg - mean * ng;
    ss += r * r;
  }
  return fromBetweenGroups(g, ss, sums.n, variance);
}

/** The design effect from G groups' squared residuals `ss` around the mean of `n` samples. */
function fromBetweenGroups(g: number, ss: number, n: number, variance: number): DesignEffect {
  const clustered = ((g / (g - 1)) * ss) / (n * n);
  const independent = variance / n;
  if (!(independent > 0)) return { deff: clustered > 0 ? Number.POSITIVE_INFINITY : 1, groups: g };
  return { deff: Math.max(1, clustered / independent), groups: g };
}

/**
 * Overdispersion of the canary's share of requests across unit groups: the
 * Pearson statistic of the per-group canary counts around the observed share,
 * over its degrees of freedom, floored at 1. Centred on the *observed* share,
 * a broken split does not inflate it (the whole split moves, not the groups
 * apart); a few heavy users in one arm do. 1 without (complete) groups;
 * infinite with fewer than MIN_GROUPS groups.
 *
 * @example requestShareDispersion(stableGroups, canaryGroups) // 1 for independent requests, ≈ 30 with a few heavy users
 */
export function requestShareDispersion(
  stable: GroupSums | undefined,
  canary: GroupSums | undefined,
): DesignEffect {
  if (!stable || !canary) return INDEPENDENT;
  const counts = new Map<number, [number, number]>();
  for (const [g, n] of stable) if (n > 0) counts.set(g, [n, 0]);
  for (const [g, n] of canary) {
    if (!(n > 0)) continue;
    const c = counts.get(g);
    if (c) c[1] = n;
    else counts.set(g, [0, n]);
  }
  let total = 0;
  let canaryTotal = 0;
  for (const [s, c] of counts.values()) {
    total += s + c;
    canaryTotal += c;
  }
  const groups = counts.size;
  if (groups < MIN_GROUPS) return { deff: Number.POSITIVE_INFINITY, groups };
  const p = canaryTotal / total;
  if (!(p > 0 && p < 1)) return { deff: 1, groups };
  let chi = 0;
  for (const [s, c] of counts.values()) {
    const n = s + c;
    const r = c - p * n;
    chi += (r * r) / (n * p * (1 - p));
  }
  return { deff: Math.max(1, chi / (groups - 1)), groups };
}

/**
 * The design effect of the share of an arm's samples beyond a value (above
 * it, or below it with `below`), from the arm's counts per (unit group, coarse
 * bin): what varies between users when a quantile is the statistic. The cut
 * is the coarse bin holding `fineIndex` (contracts/sketch.ts): counts at or
 * above the next coarse bin are "beyond". A coarse cut near the real value
 * measures the same clustering. 1 without group counts.
 *
 * @example indicatorDesignEffect(arm.groupBins?.latency_ms, binIndex(p95), false)
 */
export function indicatorDesignEffect(
  groupBins: GroupBins | undefined,
  fineIndex: number,
  below: boolean,
): DesignEffect {
  if (!groupBins || groupBins.keys.length === 0) return INDEPENDENT;
  // The coarse-bin edge nearest the value: "beyond" starts there.
  const edge = Math.round(fineIndex / COARSE_SPAN);
  const ix = groupBinIndex(groupBins);
  const w = ix.width + 1;
  const j = Math.min(Math.max(edge - ix.lo, 0), ix.width);
  // `designEffect` of the indicator (sum = sumSq = the count beyond), read
  // from the index without building its group sums.
  const g = ix.groups.length;
  let n = 0;
  let x = 0;
  for (let i = 0; i < g; i++) {
    const total = ix.cum[i * w + ix.width]!;
    const under = ix.cum[i * w + j]!;
    n += total;
    x += below ? under : total - under;
  }
  if (n <= 1) return INDEPENDENT;
  if (g < MIN_GROUPS) return { deff: Number.POSITIVE_INFINITY, groups: g };
  const mean = x / n;
  let ss = 0;
  for (let i = 0; i < g; i++) {
    const total = ix.cum[i * w + ix.width]!;
    const under = ix.cum[i * w + j]!;
    const r = (below ? under : total - under) - mean * total;
    ss += r * r;
  }
  const p = (x + 1) / (n + 2);
  return fromBetweenGroups(g, ss, n, p * (1 - p));
}

/**
 * Per unit group, its counts below each coarse edge: `cum[i·(width+1) + j]`
 * is the count of group `groups[i]` in coarse bins below `lo + j` (j = width:
 * all of them). Groups in the order first seen, only those with a count.
 */
interface GroupBinIndex {
  groups: number[];
  lo: number;
  width: number;
  cum: Float64Array;
}

// One comparison asks an arm's counts about up to four edges (its quantile,
// the fail bar, and the median as a floor for each): one pass over the
// counts builds the prefix sums, and each edge then reads one value a group.
const indexCache = new WeakMap<GroupBins, GroupBinIndex>();

function groupBinIndex(groupBins: GroupBins): GroupBinIndex {
  const cached = indexCache.get(groupBins);
  if (cached) return cached;
  const { keys, counts } = groupBins;
  const m = keys.length;
  const gs = new Int32Array(m);
  const cs = new Int32Array(m);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  // Row of each group (groups are unit groups: small non-negative integers).
  const row = new Int32Array(UNIT_GROUPS).fill(-1);
  const groups: number[] = [];
  for (let e = 0; e < m; e++) {
    if (!(counts[e]! > 0)) {
      gs[e] = -1;
      continue;
    }
    const { group, coarse } = splitGroupBinKey(keys[e]!);
    gs[e] = group;
    cs[e] = coarse;
    if (row[group] === -1) {
      row[group] = groups.length;
      groups.push(group);
    }
    if (coarse < lo) lo = coarse;
    if (coarse > hi) hi = coarse;
  }
  const width = groups.length === 0 ? 0 : hi - lo + 1;
  const w = width + 1;
  const cum = new Float64Array(groups.length * w);
  // Each count into the slot after its bin, then prefix sums per group.
  for (let e = 0; e < m; e++) {
    const g = gs[e]!;
    if (g < 0) continue;
    const at = row[g]! * w + cs[e]! - lo + 1;
    cum[at] = cum[at]! + counts[e]!;
  }
  for (let i = 0; i < groups.length; i++)
    for (let k = i * w + 1; k < (i + 1) * w; k++) cum[k] = cum[k]! + cum[k - 1]!;
  const ix = { groups, lo, width, cum };
  indexCache.set(groupBins, ix);
  return ix;
}

/**
 * The design effect the stable side of a comparison uses: its own, but never
 * above the canary's. The arms are two random sets of users from one
 * population; at a small canary weight the stable arm *is* almost all of it,
 * heavy users included, so their weight in its mean is a fact about the
 * population, not sampling error. Randomisation inference for the difference
 * (Neyman's S²/n_c + S²/n_s with the one population variance S²) is then
 * driven by the canary's side, whose own spread the canary's design effect
 * measures: a heavy user who lands in the canary shows there. Measured on the
 * realistic world (docs/statistics.md › "Users, not requests"): with the
 * stable arm's own design effect the A/A never passes the first step,
 * because one heavy user's error propensity is fixed in stable.
 *
 * @example stableSide({ deff: 646, groups: 64 }, { deff: 4.5, groups: 64 }) // { deff: 4.5, groups: 64 }
 */
export function stableSide(stable: DesignEffect, canary: DesignEffect): DesignEffect {
  return { deff: Math.min(stable.deff, Math.max(1, canary.deff)), groups: stable.groups };
}
