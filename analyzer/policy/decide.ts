/**
 * The analyzer's decision for one route at one minute. Pure: the caller reads
 * the window, calls `decide`, and writes `routeToWrite(decision, route)` back
 * (with compare-and-set) when it is not null.
 *
 * Order of rules, first match wins:
 * 1. No canary, or state paused / rolled_back / promoted: hold, never change.
 * 2. Invalid per-route policy: hold and notify.
 * 3. Too many consecutive analyzer errors: freeze (state paused).
 * 4. No rollout yet: start one at the first step (or the step the current
 *    weight is at), capped by the operator's weight cap.
 * 5. Sample-ratio mismatch: the split cannot be trusted, so nothing that widens
 *    exposure happens. A clear critical failure still rolls back or excludes
 *    (rules 6 and 7: doubt about the split never blocks safety), and so does
 *    a canary arm short of outcomes (`srmDeficitRollback`): lost canary
 *    outcomes are a failure signal. Anything else holds and notifies, and a
 *    step held by a mismatch for `srmMaxHoldMs` is reported `stuck` with the
 *    counts and what to do.
 * 6. A critical metric fails on `all`: rollback.
 * 7. A critical metric fails on other slices only: exclude those slices (and
 *    restart the step clock so the window reflects the new routing), unless
 *    exclusion is disabled, the slice cannot be expressed as a rule, its dim is
 *    not allowed or the route would exceed `maxExcludedSegments`: rollback.
 * 8. Step held long enough, enough canary samples, every critical metric passes
 *    on `all` (with `advanceOn: "no_fail"`, or once the step's canary has
 *    `noFailAfterSamples` requests: has its samples and does not fail) and no
 *    metric fails on `all`: advance (or promote after the last step), never
 *    above the operator's cap. An `optional` metric with no
 *    observations in either arm does not hold (see `metrics/definitions.ts`).
 * 9. Otherwise hold, or `stuck` (notify) once the rollout is older than
 *    `maxRolloutDurationMs`.
 *
 * At 100% canary there is no control arm: the last step is a bake period that
 * only waits for time and samples.
 */
import type { Route, SegmentRule } from "../../contracts/config";
import { evaluateWindow } from "../metrics/evaluate";
import { pct } from "../metrics/format";
import type { VerdictRecord } from "../metrics/verdict";
import { findSlice, metricSums, sliceLabel } from "../window";
import {
  countExclusions,
  exclusionMatch,
  exclusionRuleName,
  isExcluded,
  withExclusions,
} from "./exclusion";
import type { Policy } from "./policy";
import { resolvePolicy } from "./policy";
import { checkSrm } from "./srm-check";
import * as t from "../../contracts/transitions";
import type { Action, Decision, DecideInput, SrmSummary } from "./types";

/** What an operator can do about a `stuck` rollout; shown in the record, `status` and the dashboard. */
export const STUCK_ADVICE =
  "to act: promote or roll back by hand (llm-canary promote|rollback ROUTE --reason ...), " +
  "send more traffic to the canary (llm-canary set-weight ROUTE W restarts the step), " +
  "or raise the route's policy.maxRolloutDurationMs";

/** What an operator can do about a persistent sample-ratio mismatch. */
export const SRM_ADVICE =
  "to act: check that assignment and logging are intact (ingest errors, the dead-letter queue, " +
  "outcomes dropped at the edge), then restart the step (llm-canary set-weight ROUTE W), " +
  "or roll back by hand (llm-canary rollback ROUTE --reason ...)";

const NO_SRM: SrmSummary = {
  checked: false,
  alpha: 0,
  mismatch: false,
  tests: [],
  skipped: "not run",
};

interface Outcome {
  action: Action;
  route: Route;
  reasons: string[];
  notify?: boolean;
  verdicts?: VerdictRecord[];
  srm?: SrmSummary;
}

const minutes = (ms: number) => `${Math.round(ms / 60_000)}m`;

function finish(input: DecideInput, out: Outcome, policy?: Policy): Decision {
  const dryRun = policy?.dryRun ?? false;
  const proposedChanged = out.route !== input.route;
  return {
    action: out.action,
    proposedRoute: out.route,
    dryRun,
    notify: out.notify ?? false,
    reasons:
      dryRun && proposedChanged ? [...out.reasons, "dry run: route not changed"] : out.reasons,
    verdicts: out.verdicts ?? [],
    srm: out.srm ?? NO_SRM,
    window: { from: input.window.from, to: input.window.to },
    ...(policy ? { policy } : {}),
  };
}

/** Index of the highest step at or below a weight (0 when below the first). */
function stepAtWeight(steps: readonly number[], weight: number): number {
  let index = 0;
  steps.forEach((w, i) => {
    if (w <= weight) index = i;
  });
  return index;
}

function exclusionsOrRollback(
  route: Route,
  policy: Policy,
  failing: VerdictRecord[],
  now: number,
): Outcome {
  const reasons = failing.map((v) => v.reason);
  const rules: SegmentRule[] = [];
  const seen = new Set<string>();
  for (const v of failing) {
    const { dim, value } = v.slice;
    const name = exclusionRuleName(dim, value);
    if (seen.has(name)) continue;
    seen.add(name);
    const match = exclusionMatch(route, dim, value);
    const allowed =
      policy.segmentExclusion && dim !== "all" && (policy.exclusionDims as string[]).includes(dim);
    if (!allowed || match === null) {
      const why = !policy.segmentExclusion
        ? "segment exclusion is disabled"
        : match === null
          ? `${sliceLabel(v.slice)} cannot be expressed as a segment rule`
          : `exclusion of ${dim} slices is not allowed`;
      return {
        action: "rollback",
        route: t.rollback(route),
        reasons: [...reasons, `rollback: ${why}`],
        notify: true,
      };
    }
    rules.push({ name, match, weight: 0 });
  }
  if (countExclusions(route) + rules.length > policy.maxExcludedSegments) {
    return {
      action: "rollback",
      route: t.rollback(route),
      reasons: [...reasons, `rollback: more than ${policy.maxExcludedSegments} excluded segments`],
      notify: true,
    };
  }
  return {
    action: "exclude_segment",
    route: t.restartStep(withExclusions(route, rules), now),
    reasons: [...reasons, `excluded ${rules.map((r) => r.name).join(", ")}; step clock restarted`],
    notify: true,
  };
}

function judgeStep(input: DecideInput, route: Route, policy: Policy, srm: SrmSummary): Outcome {
  const rollout = route.rollout;
  if (!rollout) return { action: "hold", route, reasons: ["no rollout"] };
  const { now, window } = input;
  const cap = input.manualWeightCap ?? 100;
  const atLast = rollout.stepIndex >= rollout.steps.length - 1;
  const noControl = route.weight >= 100;
  const verdicts = noControl
    ? []
    : evaluateWindow(window, policy.metrics, {
        alpha: policy.alpha,
        planned: policy.plannedSamples,
        failMargin: policy.failMargin,
      });
  const base = { verdicts, srm };

  const criticalFails = verdicts.filter((v) => v.critical && v.verdict === "fail");
  const allFails = criticalFails.filter((v) => v.slice.dim === "all");
  if (allFails.length > 0) {
    return {
      ...base,
      action: "rollback",
      route: t.rollback(route),
      reasons: allFails.map((v) => v.reason),
      notify: true,
    };
  }
  const sliceFails = criticalFails.filter((v) => !isExcluded(route, v.slice.dim, v.slice.value));
  if (sliceFails.length > 0)
    return { ...base, ...exclusionsOrRollback(route, policy, sliceFails, now) };

  const step = `step ${rollout.stepIndex + 1}/${rollout.steps.length} at ${pct(route.weight)}`;
  const held = now - Date.parse(rollout.stepStartedAt);
  const all = findSlice(window, "all");
  const canaryN = all ? metricSums(all.canary, "requests").n : 0;
  const waiting: string[] = [];
  if (held < policy.minStepDurationMs) {
    waiting.push(`${step} held ${minutes(held)} of ${minutes(policy.minStepDurationMs)}`);
  }
  if (canaryN < policy.minCanarySamples) {
    waiting.push(`${canaryN} of ${policy.minCanarySamples} canary requests`);
  }
  const onAll = verdicts.filter((v) => v.slice.dim === "all");
  // An optional metric nobody observed (no evaluators, no JSON requests, ...) holds nothing.
  const optional = new Set(policy.metrics.filter((m) => m.optional).map((m) => m.name));
  const unobserved = (v: VerdictRecord) =>
    optional.has(v.metric) && v.stable.n === 0 && v.canary.n === 0;
  // advanceOn "pass": a critical metric must show non-inferiority; "no_fail":
  // it must have its samples and not fail (inconclusive is enough). A step
  // with `noFailAfterSamples` canary requests under "pass" advances on
  // "no_fail"'s terms.
  const lateNoFail =
    policy.advanceOn === "pass" &&
    policy.noFailAfterSamples !== null &&
    canaryN >= policy.noFailAfterSamples;
  const noFail = policy.advanceOn === "no_fail" || lateNoFail;
  const inconclusive: string[] = [];
  if (!noControl) {
    const holds = (v: VerdictRecord) =>
      noFail ? v.verdict === "insufficient" : v.verdict !== "pass";
    for (const v of onAll) {
      if (v.critical && !unobserved(v) && v.verdict === "inconclusive") inconclusive.push(v.metric);
      if ((v.critical && holds(v) && !unobserved(v)) || v.verdict === "fail")
        waiting.push(v.reason);
    }
  }
  // How the step passed, for the record: outright, or on the absence of harm
  // (`advanceOn: "no_fail"`, or `noFailAfterSamples` reached) with what was not shown.
  const why = lateNoFail
    ? `policy.noFailAfterSamples ${policy.noFailAfterSamples}`
    : 'policy.advanceOn "no_fail"';
  const passed =
    noFail && inconclusive.length > 0
      ? `${step}: nothing failed in ${canaryN} canary requests (non-inferiority not shown for ` +
        `${inconclusive.join(", ")}; ${why})`
      : `${step} passed`;
  if (waiting.length === 0) {
    if (atLast) {
      if (cap < 100)
        return {
          ...base,
          action: "hold",
          route,
          reasons: [`${step}: promotion held by operator weight cap ${pct(cap)}`],
        };
      const excluded = route.segments.filter((s) => s.weight === 0).map((s) => s.name);
      const note =
        excluded.length > 0
          ? `; segments ${excluded.join(", ")} now get the promoted release too`
          : "";
      return {
        ...base,
        action: "promote",
        route: t.promote(route),
        reasons: [`${passed}: promoted ${route.canary?.id ?? "canary"} to stable${note}`],
        notify: true,
      };
    }
    const next = rollout.stepIndex + 1;
    const target = Math.min(rollout.steps[next] ?? 100, cap);
    if (target <= route.weight) {
      return {
        ...base,
        action: "hold",
        route,
        reasons: [`${passed}; held by operator weight cap ${pct(cap)}`],
      };
    }
    return {
      ...base,
      action: "advance",
      route: t.advance(route, next, target, now),
      reasons: [`${passed}: advancing to ${pct(target)}`],
    };
  }
  const started = Date.parse(rollout.startedAt);
  const since = Math.max(started, input.rolloutSeenAt ?? started);
  const age = now - since;
  if (age > policy.maxRolloutDurationMs) {
    return {
      ...base,
      action: "stuck",
      route,
      reasons: [
        `rollout running ${minutes(age)} (since ${new Date(since).toISOString()}), longer than maxRolloutDurationMs ${minutes(policy.maxRolloutDurationMs)}`,
        ...waiting,
        STUCK_ADVICE,
      ],
      notify: true,
    };
  }
  return { ...base, action: "hold", route, reasons: waiting };
}

/**
 * The route a caller writes after `decide`: the proposed route when it differs
 * from `from` and the policy is not dry-run, otherwise null (nothing to write).
 *
 * @example
 * routeToWrite(decide({ route, now, window }), route); // null while holding
 */
export function routeToWrite(d: Decision, from: Route): Route | null {
  return !d.dryRun && d.proposedRoute !== from ? d.proposedRoute : null;
}

/**
 * Decides what to do with a route's canary now.
 *
 * @example
 * const d = decide({ route, now, window, policy: { alpha: 0.05 } });
 * const next = routeToWrite(d, route);
 * if (next) await writeRouteWithCas(next);
 * if (d.notify) await alert(d.action, d.reasons);
 */
export function decide(input: DecideInput): Decision {
  const { route, now } = input;
  if (!route.canary)
    return finish(input, { action: "hold", route, reasons: ["no canary release"] });
  if (route.state !== "active") {
    return finish(input, { action: "hold", route, reasons: [`route is ${route.state}`] });
  }
  const resolved = resolvePolicy(input.policy, route.policy);
  if (!resolved.ok) {
    return finish(input, {
      action: "hold",
      route,
      reasons: resolved.errors.map((e) => `invalid policy: ${e}`),
      notify: true,
    });
  }
  const policy = resolved.policy;
  const errors = input.consecutiveErrors ?? 0;
  if (errors >= policy.maxConsecutiveErrors) {
    const reasons = [
      `${errors} consecutive analyzer errors: frozen at ${pct(route.weight)} until an operator resumes`,
    ];
    return finish(
      input,
      { action: "freeze", route: t.freeze(route), reasons, notify: true },
      policy,
    );
  }
  const cap = input.manualWeightCap ?? 100;
  if (!route.rollout) {
    const steps = policy.steps;
    const index = stepAtWeight(steps, route.weight);
    const weight = Math.min(Math.max(route.weight, steps[index] ?? 0), cap);
    const reasons = [`rollout started at step ${index + 1}/${steps.length} (${pct(weight)})`];
    return finish(
      input,
      { action: "advance", route: t.startRollout(route, steps, index, weight, now), reasons },
      policy,
    );
  }
  const srm = policy.srmAlpha > 0 ? checkSrm(route, input.window, policy.srmAlpha) : NO_SRM;
  const judged = judgeStep(input, route, policy, srm);
  if (!srm.mismatch) return finish(input, judged, policy);
  return finish(input, underMismatch(input, route, policy, srm, judged), policy);
}

const fmtRate = (r: number) => `${+(r * 100).toPrecision(3)}%`;

/** What the counts of an SRM test are, for its reason. */
const COUNTED: Record<SrmSummary["tests"][number]["counts"], { on: string; counts: string }> = {
  logged: { on: "", counts: "requests" },
  assignments: { on: " (assignment counts)", counts: "requests assigned, every request counted" },
  logged_vs_sent: { on: " (outcomes logged vs sent)", counts: "outcomes logged" },
};

/** The reason of each mismatching SRM test, with its counts, units and direction. */
function srmReasons(srm: SrmSummary): string[] {
  return srm.tests
    .filter((x) => x.mismatch)
    .map((x) => {
      const n = x.stable + x.canary;
      const expected = Math.round(n * x.expectedShare);
      const what = x.counts === "logged_vs_sent" ? "outcomes logged" : "requests";
      const promise =
        x.counts === "logged_vs_sent" ? "the edge's sent counts promise" : "the weight promises";
      const side = canaryDeficit(x)
        ? `${expected - x.canary} fewer canary ${what} than ${promise} (canary outcomes may be lost)`
        : `${x.canary - expected} more canary ${what} than ${promise}`;
      const phi = x.dispersion.deff;
      const units =
        phi > 1
          ? `; ≈ ${Math.round(x.canary / phi)} canary / ${Math.round(x.stable / phi)} stable effective units at overdispersion ${phi.toFixed(1)} over ${x.dispersion.groups} unit groups`
          : "";
      const assigned = x.sent
        ? `; of ${x.sent.canary} canary / ${x.sent.stable} stable sent by the edge`
        : "";
      const sampled =
        x.counts !== "assignments" && (x.logging.stable < 1 || x.logging.canary < 1)
          ? `; logged at ${fmtRate(x.logging.canary)} of canary and ${fmtRate(x.logging.stable)} of stable requests`
          : "";
      const c = COUNTED[x.counts];
      return `sample-ratio mismatch on ${x.slice}${c.on}: canary share ${pct(x.observedShare * 100)} vs ${pct(x.expectedShare * 100)} (${x.canary} canary / ${x.stable} stable ${c.counts}${assigned}${units}${sampled}; ${side}; p ≤ ${x.pValue.toExponential(1)}); metrics not trusted`;
    });
}

/** The canary arm has fewer outcomes than its weight promises. */
function canaryDeficit(x: SrmSummary["tests"][number]): boolean {
  return x.mismatch && x.observedShare < x.expectedShare;
}

/**
 * The decision while the split is in doubt: safety actions of the judged step
 * stand, everything that would widen exposure becomes a hold (or `stuck` once
 * the mismatch has held the step for `srmMaxHoldMs`).
 */
function underMismatch(
  input: DecideInput,
  route: Route,
  policy: Policy,
  srm: SrmSummary,
  judged: Outcome,
): Outcome {
  const reasons = srmReasons(srm);
  const verdicts = judged.verdicts ?? [];
  if (judged.action === "rollback" || judged.action === "exclude_segment") {
    return { ...judged, reasons: [...judged.reasons, ...reasons], notify: true, srm };
  }
  // Missing canary outcomes are how a crashing canary often shows first (its
  // failures never reach the log): a failure signal, not only doubt.
  if (policy.srmDeficitRollback && srm.tests.some(canaryDeficit)) {
    return {
      action: "rollback",
      route: t.rollback(route),
      reasons: [
        ...reasons,
        "rollback: the canary arm is short of outcomes, counted as a failure (policy.srmDeficitRollback)",
      ],
      notify: true,
      verdicts,
      srm,
    };
  }
  const stepStarted = route.rollout ? Date.parse(route.rollout.stepStartedAt) : input.now;
  const held = input.now - stepStarted;
  if (held >= policy.srmMaxHoldMs) {
    return {
      action: "stuck",
      route,
      reasons: [
        `step held ${minutes(held)} by a sample-ratio mismatch (since ${new Date(stepStarted).toISOString()}), longer than srmMaxHoldMs ${minutes(policy.srmMaxHoldMs)}`,
        ...reasons,
        SRM_ADVICE,
      ],
      notify: true,
      verdicts,
      srm,
    };
  }
  return { action: "hold", route, reasons, notify: true, verdicts, srm };
}
