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
 */
import type { Route } from "../../contracts/config";
import { requestShareDispersion } from "../stats/clustered";
import { srmTest } from "../stats/srm";
import type { WindowData } from "../window";
import { DEFAULT_SEGMENT, metricSums, sliceLabel } from "../window";
import type { Slice } from "../window";
import type { SrmSummary } from "./types";

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
  const each = alpha / testable.length;
  const tests = testable.map((s) => {
    const st = metricSums(s.stable, REQUESTS);
    const ca = metricSums(s.canary, REQUESTS);
    const stable = st.n;
    const canary = ca.n;
    const logging = { stable: loggingRate(st), canary: loggingRate(ca) };
    const dispersion = requestShareDispersion(
      s.stable.groups?.[REQUESTS],
      s.canary.groups?.[REQUESTS],
    );
    const phi = Number.isFinite(dispersion.deff) ? dispersion.deff : Math.max(stable + canary, 1);
    const w = (expectedWeight(route, s) ?? 0) / 100;
    const share = (w * logging.canary) / (w * logging.canary + (1 - w) * logging.stable);
    const result = srmTest(stable / phi, canary / phi, share, each);
    // Counts as logged requests for the record; the evidence is that of the units.
    return { slice: sliceLabel(s), ...result, stable, canary, dispersion, logging };
  });
  return { checked: true, alpha: each, mismatch: tests.some((t) => t.mismatch), tests };
}
