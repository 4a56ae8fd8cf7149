/**
 * Sample-ratio check of a window against the weights the route promises.
 *
 * Each `segment` slice is tested against its own weight (the rule's weight, or
 * the route weight for `default`); segments at 0 or 100 have nothing to test.
 * Without segment slices the `all` slice is tested, but only when the route
 * has no segment rules (otherwise its expected share is a mixture the window
 * cannot recover). The level is split evenly over the tests (Bonferroni).
 *
 * Users, not requests, are assigned: with sticky per-user assignment and a
 * few heavy users the request share drifts from the weight without any
 * fault. So the request counts are deflated by their overdispersion across
 * assignment-unit groups (`requestShareDispersion`, analyzer/stats/clustered.ts):
 * the test runs on n / φ effective units per arm. φ is 1 for independent
 * requests and grows with how much a few users weigh; centred on the observed
 * share, a broken split does not inflate it. docs/statistics.md › "Sample
 * ratio on units" has why this and not exact unit counts, and the sizes at
 * which a 52/48 split and 5% lost canary outcomes are caught.
 *
 * With sampled logging (contracts/sampling.ts) the counts are logged events,
 * and each arm's logging rate is read back from its `requests` sums (n / sum:
 * every event's value is 1 / its rate). The promised share of logged events
 * is then w·rc / (w·rc + (1 − w)·rs). Sampling is a hash of the unit
 * unrelated to assignment, so a broken split or lost canary outcomes still
 * move the logged share by the same relative amount.
 *
 * When the edge's exact assignment counts for the step are in the window
 * (`assignments`, contracts/assignment-counts.ts), each slice gets two tests
 * instead, the level split over both:
 * - `assignments`: the split itself, every request counted, against the
 *   plain weight (no sampling rates), deflated by the dispersion of the
 *   per-group assignment counts;
 * - `logged_vs_sent`: the logged events' share against the share of the
 *   events the edge sent (sampled in), which its counts also hold. Outcomes
 *   lost after the edge counted their request show here, without the
 *   sampling noise: the two sets are the same events but for the lost ones
 *   and those whose counts have not arrived (an isolate's unsent window, a
 *   failed send: whole windows of both arms, moving neither share). The
 *   binomial variance of the logged events bounds what those uncovered
 *   events can move the share, until they are a fraction f with f·φ > 1 of
 *   them: the counts are then deflated by f·φ (φ the logged events'
 *   dispersion), as the uncovered part is a sample of f of the units.
 * A slice without assignment counts is tested on its logged counts as above.
 */
import type { Route } from "../../contracts/config";
import { requestShareDispersion, type DesignEffect } from "../stats/clustered";
import { srmTest } from "../stats/srm";
import type { GroupSums, WindowData } from "../window";
import { DEFAULT_SEGMENT, metricSums, sliceLabel } from "../window";
import type { Slice } from "../window";
import type { SrmSummary, SrmTestRecord } from "./types";

const REQUESTS = "requests";

/** An arm's logging rate: n / sum of its `requests` (1 / rate each); 1 without data. */
function loggingRate(requests: { n: number; sum: number }): number {
  return requests.n > 0 && requests.sum > 0 ? Math.min(1, requests.n / requests.sum) : 1;
}

function expectedWeight(route: Route, slice: Slice): number | undefined {
  if (slice.dim === "all") return route.weight;
  if (slice.value === DEFAULT_SEGMENT) return route.weight;
  return route.segments.find((s) => s.name === slice.value)?.weight;
}

/** The step's assignment counts of a slice (its segment, or every segment for `all`). */
function assignedOf(window: WindowData, slice: Slice) {
  const all = window.assignments;
  if (!all || all.length === 0) return undefined;
  const of = slice.dim === "all" ? all : all.filter((a) => a.segment === slice.value);
  if (of.length === 0) return undefined;
  const merge = (arm: "stable" | "canary"): GroupSums => {
    const byGroup = new Map<number, number>();
    for (const a of of) for (const [g, n] of a[arm]) byGroup.set(g, (byGroup.get(g) ?? 0) + n);
    return [...byGroup].map(([g, n]) => [g, n, n]);
  };
  const stable = merge("stable");
  const canary = merge("canary");
  const total = (gs: GroupSums) => gs.reduce((t, [, n]) => t + n, 0);
  const sent = {
    stable: of.reduce((t, a) => t + a.sent.stable, 0),
    canary: of.reduce((t, a) => t + a.sent.canary, 0),
  };
  return { stable, canary, sent, n: { stable: total(stable), canary: total(canary) } };
}

/** The test on counts deflated by their dispersion across unit groups. */
function deflatedTest(
  counts: { stable: number; canary: number },
  dispersion: DesignEffect,
  share: number,
  alpha: number,
) {
  const phi = Number.isFinite(dispersion.deff)
    ? dispersion.deff
    : Math.max(counts.stable + counts.canary, 1);
  return srmTest(counts.stable / phi, counts.canary / phi, share, alpha);
}

/**
 * @example checkSrm(route, window, 0.001).mismatch
 */
export function checkSrm(route: Route, window: WindowData, alpha: number): SrmSummary {
  const segments = window.slices.filter((s) => s.dim === "segment");
  const candidates =
    segments.length > 0
      ? segments
      : route.segments.length === 0
        ? window.slices.filter((s) => s.dim === "all")
        : [];
  const testable = candidates.filter((s) => {
    const w = expectedWeight(route, s);
    return w !== undefined && w > 0 && w < 100;
  });
  if (testable.length === 0) {
    return {
      checked: false,
      alpha,
      mismatch: false,
      tests: [],
      skipped: "no slice with a known weight strictly between 0 and 100",
    };
  }
  const plans = testable.map((s) => ({ s, assigned: assignedOf(window, s) }));
  const each = alpha / plans.reduce((t, p) => t + (p.assigned ? 2 : 1), 0);
  const tests = plans.flatMap(({ s, assigned }): SrmTestRecord[] => {
    const st = metricSums(s.stable, REQUESTS);
    const ca = metricSums(s.canary, REQUESTS);
    const logged = { stable: st.n, canary: ca.n };
    const logging = { stable: loggingRate(st), canary: loggingRate(ca) };
    const dispersion = requestShareDispersion(
      s.stable.groups?.[REQUESTS],
      s.canary.groups?.[REQUESTS],
    );
    const w = (expectedWeight(route, s) ?? 0) / 100;
    const slice = sliceLabel(s);
    if (!assigned) {
      const share = (w * logging.canary) / (w * logging.canary + (1 - w) * logging.stable);
      const result = deflatedTest(logged, dispersion, share, each);
      // Counts as logged requests for the record; the evidence is that of the units.
      return [{ slice, counts: "logged", ...result, ...logged, dispersion, logging }];
    }
    const split = requestShareDispersion(assigned.stable, assigned.canary);
    const exact = deflatedTest(assigned.n, split, w, each);
    const tests: SrmTestRecord[] = [
      { slice, counts: "assignments", ...exact, ...assigned.n, dispersion: split, logging },
    ];
    const { sent } = assigned;
    const received = logged.stable + logged.canary;
    const sentTotal = sent.stable + sent.canary;
    if (sent.stable > 0 && sent.canary > 0 && received > 0) {
      const uncovered = Math.abs(received - sentTotal) / Math.max(received, sentTotal);
      const phi = Number.isFinite(dispersion.deff) ? dispersion.deff : received;
      const delivery = { deff: Math.max(1, uncovered * phi), groups: dispersion.groups };
      const coverage = deflatedTest(logged, delivery, sent.canary / sentTotal, each);
      tests.push({
        slice,
        counts: "logged_vs_sent",
        ...coverage,
        ...logged,
        dispersion: delivery,
        logging,
        sent,
      });
    }
    return tests;
  });
  return { checked: true, alpha: each, mismatch: tests.some((t) => t.mismatch), tests };
}
