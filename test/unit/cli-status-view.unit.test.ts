/**
 * The CLI's pure views: the status screen (releases, step, weights,
 * segments, the newest decision's verdicts with effects, intervals and
 * coloured verdicts), history and decisions.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { DecisionView, HistoryEntry, RouteView, VerdictView } from "../../contracts/admin-api";
import { renderDecisions, renderHistory } from "../../cli/history-view";
import { setColour } from "../../cli/output";
import {
  ago,
  colourVerdict,
  describeMatch,
  formatEffect,
  renderStatus,
  shownVerdicts,
  stepText,
} from "../../cli/status-view";

const NOW = Date.UTC(2026, 10, 27, 10, 30);
const RED = "\u001b[31m";
const GREEN = "\u001b[32m";
const YELLOW = "\u001b[33m";

afterEach(() => setColour(false));

function route(over: Partial<RouteView> = {}): RouteView {
  return {
    id: "chat",
    stable: { id: "stable-v1", originUrl: "https://stable.example", model: "m-1" },
    canary: { id: "canary-v2", originUrl: "https://canary.example", model: "m-2" },
    weight: 10,
    segments: [
      { name: "germany", match: { countries: ["DE", "AT"] }, weight: 20 },
      { name: "batch", match: { headers: { "x-request-class": ["batch"] } }, weight: 0 },
    ],
    state: "active",
    rollout: {
      steps: [5, 10, 25, 100],
      stepIndex: 1,
      stepStartedAt: "2026-11-27T10:00:00.000Z",
      startedAt: "2026-11-27T09:00:00.000Z",
    },
    ...over,
  };
}

function verdict(
  over: Partial<VerdictView> & Pick<VerdictView, "metric" | "verdict">,
): VerdictView {
  return {
    stat: "p95",
    critical: false,
    slice: { dim: "all", value: "all" },
    stable: { n: 400, estimate: 100 },
    canary: { n: 380, estimate: 131 },
    effect: { kind: "ratio", estimate: 1.31, lower: 1.22, upper: 1.41 },
    ...over,
  };
}

function decision(verdicts: VerdictView[], over: Partial<DecisionView> = {}): DecisionView {
  return {
    id: "d1",
    at: NOW - 120_000,
    routeId: "chat",
    rolloutId: "canary-v2",
    action: "rollback",
    changed: true,
    applied: true,
    dryRun: false,
    versionBefore: 4,
    versionAfter: 5,
    summary: "rollback: latency_p95 on all: fail",
    record: { reasons: ["latency_p95 on all: fail"], verdicts },
    ...over,
  };
}

const VERDICTS: VerdictView[] = [
  verdict({ metric: "latency_p95", verdict: "fail", critical: true }),
  verdict({
    metric: "error_rate",
    verdict: "pass",
    stat: "rate",
    effect: { kind: "difference", estimate: 0.0012, lower: -0.005, upper: 0.008 },
  }),
  verdict({
    metric: "ttft_p95",
    verdict: "inconclusive",
    effect: { kind: "ratio", estimate: 1.05, lower: 0.98, upper: 1.12 },
  }),
  verdict({
    metric: "relevance_mean",
    verdict: "insufficient",
    stat: "mean",
    effect: { kind: "difference", estimate: null, lower: null, upper: null },
  }),
  verdict({ metric: "latency_p95", verdict: "fail", slice: { dim: "country", value: "FR" } }),
  verdict({ metric: "latency_p95", verdict: "pass", slice: { dim: "country", value: "DE" } }),
];

describe("formatEffect", () => {
  it("shows ratios as percentage changes, rate differences in points, others as numbers", () => {
    expect(formatEffect(VERDICTS[0]!)).toEqual({ delta: "+31.0%", interval: "[+22.0%, +41.0%]" });
    expect(formatEffect(VERDICTS[1]!)).toEqual({
      delta: "+0.12 pp",
      interval: "[-0.50 pp, +0.80 pp]",
    });
    const mean = verdict({
      metric: "relevance_mean",
      verdict: "pass",
      stat: "mean",
      effect: { kind: "difference", estimate: -0.1234, lower: -0.25, upper: 0.01 },
    });
    expect(formatEffect(mean)).toEqual({ delta: "-0.123", interval: "[-0.25, +0.01]" });
  });

  it("marks a missing estimate and unknown (infinite) bounds", () => {
    expect(formatEffect(VERDICTS[3]!)).toEqual({ delta: "—", interval: "" });
    const open = verdict({
      metric: "latency_p99",
      verdict: "inconclusive",
      effect: { kind: "ratio", estimate: 1.1, lower: 0.9, upper: null },
    });
    expect(formatEffect(open).interval).toBe("[-10.0%, ?]");
  });
});

describe("renderStatus", () => {
  it("shows releases, step, weights, segments and the newest decision's verdicts", () => {
    const out = renderStatus(
      {
        version: 5,
        health: { status: "ok" },
        routes: [{ route: route(), decision: decision(VERDICTS) }],
      },
      NOW,
    );
    expect(out).toContain("config version 5 · config ok");
    expect(out).toMatch(/^chat {2}active {2}step 2\/4 \(10%\) {2}weight 10%$/m);
    expect(out).toMatch(/stable {2}stable-v1 {2}m-1 @ https:\/\/stable\.example/);
    expect(out).toMatch(/canary {2}canary-v2 {2}m-2 @ https:\/\/canary\.example/);
    expect(out).toContain("5% → 10% → 25% → 100%");
    expect(out).toMatch(/germany +20% +countries=DE,AT/);
    expect(out).toMatch(/batch +0% +headers\.x-request-class=batch/);
    expect(out).toMatch(/decision {2}rollback {2}2026-11-27 10:28:00Z \(2 min ago, applied\)/);
    expect(out).toMatch(/latency_p95 +all +\+31\.0% +\[\+22\.0%, \+41\.0%\] +fail +380\/400/);
    expect(out).toMatch(/error_rate +all +\+0\.12 pp +\[-0\.50 pp, \+0\.80 pp\] +pass/);
    expect(out).toMatch(/ttft_p95 +all +\+5\.0% .* inconclusive/);
    expect(out).toMatch(/latency_p95 +country=FR .* fail/);
    expect(out).not.toContain("country=DE");
  });

  it("colours verdicts: fail red, pass green, inconclusive yellow", () => {
    setColour(true);
    expect(colourVerdict("fail")).toBe(`${RED}fail\u001b[0m`);
    expect(colourVerdict("pass")).toBe(`${GREEN}pass\u001b[0m`);
    expect(colourVerdict("inconclusive")).toBe(`${YELLOW}inconclusive\u001b[0m`);
    const out = renderStatus(
      { version: 5, routes: [{ route: route(), decision: decision(VERDICTS) }] },
      NOW,
    );
    expect(out).toContain(`${RED}fail`);
    expect(out).toContain(`${GREEN}pass`);
    expect(out).toContain(`${YELLOW}inconclusive`);
  });

  it("says when there is no canary, no rollout or no decision yet", () => {
    const bare = route({ canary: undefined, rollout: undefined, segments: [], state: "promoted" });
    const out = renderStatus({ version: 9, routes: [{ route: bare, decision: null }] }, NOW);
    expect(out).toMatch(/^chat {2}promoted {2}no rollout {2}weight 10%$/m);
    expect(out).toContain("canary  (none)");
    expect(out).toContain("decision  none yet");
    expect(out).not.toContain("segments");
    expect(renderStatus({ version: 1, routes: [] }, NOW)).toContain("no routes");
  });

  it("shows why a rollout is stuck and what to do", () => {
    const d = decision([], {
      action: "stuck",
      summary:
        "stuck: rollout running 1500m (since 2026-11-26T09:00:00.000Z), longer than maxRolloutDurationMs 1440m",
      record: {
        reasons: [
          "rollout running 1500m (since 2026-11-26T09:00:00.000Z), longer than maxRolloutDurationMs 1440m",
          "40 of 100 canary requests",
          "to act: promote or roll back by hand (llm-canary promote|rollback ROUTE --reason ...)",
        ],
      },
    });
    const out = renderStatus({ version: 5, routes: [{ route: route(), decision: d }] }, NOW);
    expect(out).toMatch(/decision {2}stuck/);
    expect(out).toContain("longer than maxRolloutDurationMs");
    expect(out).toMatch(/^ {4}to act: promote or roll back by hand/m);
  });

  it("shows no verdict table for a record without verdicts", () => {
    const d = decision([], { action: "hold", record: { unparsed: "x" } });
    const out = renderStatus({ version: 5, routes: [{ route: route(), decision: d }] }, NOW);
    expect(out).toContain("decision  hold");
    expect(out).not.toContain("interval");
  });
});

describe("helpers", () => {
  it("picks every metric on all plus failing slices", () => {
    expect(shownVerdicts(VERDICTS).map((v) => `${v.metric}@${v.slice.value}`)).toEqual([
      "latency_p95@all",
      "error_rate@all",
      "ttft_p95@all",
      "relevance_mean@all",
      "latency_p95@FR",
    ]);
  });

  it("describes matches, steps and ages", () => {
    expect(describeMatch({ cohorts: ["internal"], stream: true })).toBe(
      "cohorts=internal stream=true",
    );
    expect(describeMatch({})).toBe("(everything)");
    expect(stepText(route())).toBe("step 2/4 (10%)");
    expect(ago(NOW - 30_000, NOW)).toBe("30 s ago");
    expect(ago(NOW - 20 * 60_000, NOW)).toBe("20 min ago");
    expect(ago(NOW - 5 * 3_600_000, NOW)).toBe("5 h ago");
    expect(ago(NOW - 3 * 86_400_000, NOW)).toBe("3 d ago");
  });
});

describe("history and decisions", () => {
  const versions: HistoryEntry[] = [
    {
      version: 7,
      actor: "alice",
      reason: "hold DE",
      source: "admin",
      createdAt: "2026-11-27T10:00:00.000Z",
      changes: ["routes.0.segments.0.weight: 20 → 0", `routes.0.x: "${"y".repeat(300)}"`],
    },
    {
      version: 6,
      actor: "analyzer",
      reason: "advance: all checks pass",
      source: "analyzer",
      createdAt: "2026-11-27T09:50:00.000Z",
      changes: [],
    },
  ];

  it("lists versions with who, why, where from and each change", () => {
    const out = renderHistory(versions);
    expect(out).toMatch(/^v7 {2}2026-11-27 10:00:00Z {2}admin {2}alice {2}hold DE$/m);
    expect(out).toMatch(/^ {6}routes\.0\.segments\.0\.weight: 20 → 0$/m);
    expect(out).toMatch(/^ {6}routes\.0\.x: "y+…$/m);
    expect(out).toContain("(no changes besides the version)");
    expect(out.split("\n").every((l) => l.length <= 170)).toBe(true);
    expect(renderHistory([])).toBe("no config versions yet");
  });

  it("lists decisions with their action, applied state and summary", () => {
    setColour(true);
    const out = renderDecisions(
      [
        decision(VERDICTS),
        decision([], { action: "hold", applied: false, changed: false, summary: "hold: n" }),
      ],
      NOW,
    );
    expect(out).toContain(`${RED}rollback`);
    expect(out).toMatch(/2026-11-27 10:28:00Z .*chat .*yes .*rollback: latency_p95/);
    expect(out).toMatch(/hold\S* +- +hold: n/);
    expect(renderDecisions([], NOW)).toBe("no decisions");
  });
});
