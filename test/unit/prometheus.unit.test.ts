import { describe, expect, it } from "vitest";
import { RoutingConfigSchema } from "../../contracts/config";
import { addToBins } from "../../contracts/sketch";
import type { MetricsSnapshot, TrafficRow } from "../../worker/metrics/families";
import { metricFamilies } from "../../worker/metrics/families";
import {
  escapeHelp,
  escapeLabelValue,
  formatValue,
  renderPrometheus,
} from "../../worker/metrics/prometheus";
import { makeConfig } from "../fixtures/config";

describe("renderPrometheus", () => {
  it("renders HELP, TYPE and samples with escaped label values", () => {
    const text = renderPrometheus([
      {
        name: "llm_canary_example",
        help: 'A "help" line with \\ and\nnewline.',
        type: "gauge",
        samples: [{ labels: { route: 'a"b\\c\nd', variant: "stable" }, value: 1.5 }, { value: 0 }],
      },
    ]);
    expect(text).toBe(
      [
        '# HELP llm_canary_example A "help" line with \\\\ and\\nnewline.',
        "# TYPE llm_canary_example gauge",
        'llm_canary_example{route="a\\"b\\\\c\\nd",variant="stable"} 1.5',
        "llm_canary_example 0",
        "",
      ].join("\n"),
    );
  });

  it("appends summary suffixes and formats special values", () => {
    const text = renderPrometheus([
      {
        name: "x_seconds",
        help: "h",
        type: "summary",
        samples: [
          { labels: { quantile: "0.5" }, value: NaN },
          { suffix: "_sum", value: Infinity },
          { suffix: "_count", value: -Infinity },
        ],
      },
    ]);
    expect(text.split("\n").slice(2, 5)).toEqual([
      'x_seconds{quantile="0.5"} NaN',
      "x_seconds_sum +Inf",
      "x_seconds_count -Inf",
    ]);
  });

  it("refuses invalid names and duplicate families", () => {
    const f = { help: "h", type: "gauge" as const, samples: [{ value: 1 }] };
    expect(() => renderPrometheus([{ ...f, name: "bad-name" }])).toThrow(/metric name/);
    expect(() =>
      renderPrometheus([
        { ...f, name: "ok", samples: [{ labels: { "bad-label": "v" }, value: 1 }] },
      ]),
    ).toThrow(/label name/);
    expect(() =>
      renderPrometheus([{ ...f, name: "ok", samples: [{ labels: { __name__: "v" }, value: 1 }] }]),
    ).toThrow(/label name/);
    expect(() =>
      renderPrometheus([
        { ...f, name: "dup" },
        { ...f, name: "dup" },
      ]),
    ).toThrow(/duplicate/);
  });

  it("escapes helpers independently", () => {
    expect(escapeLabelValue('\\"\n')).toBe('\\\\\\"\\n');
    expect(escapeHelp('\\"\n')).toBe('\\\\"\\n');
    expect(formatValue(1e21)).toBe("1e+21");
  });
});

function traffic(over: Partial<TrafficRow> = {}): TrafficRow {
  const bins = new Map<number, number>();
  const latencies = Array.from({ length: 100 }, (_, i) => 10 * (i + 1)); // 10..1000 ms
  for (const v of latencies) addToBins(bins, v);
  return {
    routeId: "chat",
    releaseId: "canary-v2",
    variant: "canary",
    requests: 110,
    errors: 10,
    latency: { sum: latencies.reduce((a, b) => a + b, 0), count: 100, bins: [...bins] },
    ttft: { sum: 0, count: 0, bins: [] },
    overhead: { sum: 0, count: 0, bins: [] },
    ...over,
  };
}

function snapshot(over: Partial<MetricsSnapshot> = {}): MetricsSnapshot {
  const config = RoutingConfigSchema.parse(
    makeConfig({
      version: 12,
      routes: [
        {
          ...makeConfig().routes[0]!,
          weight: 25,
          segments: [{ name: "germany", match: { countries: ["DE"] }, weight: 50 }],
        },
        {
          id: "embed",
          models: ["embed-test"],
          stable: { id: "embed-v1", originUrl: "http://127.0.0.1:1/e", model: "e" },
          canary: { id: "embed-v2", originUrl: "http://127.0.0.1:1/e2", model: "e2" },
          weight: 40,
          state: "rolled_back",
          segments: [{ name: "all-in", match: { cohorts: ["staff"] }, weight: 100 }],
        },
      ],
    }),
  );
  return {
    windowMinutes: 15,
    config,
    health: { status: "ok", version: 12 },
    rollupsUp: true,
    traffic: [traffic()],
    lastDecisions: [{ routeId: "chat", action: "advance", at: 1_764_244_800_000 }],
    droppedOutcomes: 3,
    droppedAssignmentCounts: 2,
    ...over,
  };
}

function sampleLines(text: string): string[] {
  return text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
}

describe("metricFamilies", () => {
  it("exposes traffic, quantiles in seconds, weights, state, decision, version, health and drops", () => {
    const lines = sampleLines(renderPrometheus(metricFamilies(snapshot())));
    const labels = 'route="chat",release="canary-v2",variant="canary"';
    expect(lines).toContain(`llm_canary_requests{${labels}} 110`);
    expect(lines).toContain(`llm_canary_errors{${labels}} 10`);
    expect(lines).toContain(`llm_canary_latency_seconds_sum{${labels}} 50.5`);
    expect(lines).toContain(`llm_canary_latency_seconds_count{${labels}} 100`);
    const q = (quantile: string) =>
      Number(
        lines
          .find((l) =>
            l.startsWith(`llm_canary_latency_seconds{${labels},quantile="${quantile}"}`),
          )!
          .split(" ")[1],
      );
    // Lower-rank quantiles of 10..1000 ms, within the sketch's 1%.
    for (const [quantile, expected] of [
      ["0.5", 0.5],
      ["0.95", 0.95],
      ["0.99", 0.99],
    ] as const) {
      expect(Math.abs(q(quantile) / expected - 1)).toBeLessThan(0.01);
    }
    // No TTFT data: no TTFT samples, rather than zeros.
    expect(lines.some((l) => l.startsWith("llm_canary_ttft_seconds"))).toBe(false);
    expect(lines).toContain('llm_canary_canary_weight_percent{route="chat"} 25');
    expect(lines).toContain('llm_canary_canary_weight_percent{route="embed"} 0');
    expect(lines).toContain(
      'llm_canary_segment_canary_weight_percent{route="chat",segment="germany"} 50',
    );
    expect(lines).toContain(
      'llm_canary_segment_canary_weight_percent{route="embed",segment="all-in"} 0',
    );
    expect(lines.filter((l) => l.startsWith('llm_canary_route_state{route="embed"'))).toEqual([
      'llm_canary_route_state{route="embed",state="active"} 0',
      'llm_canary_route_state{route="embed",state="paused"} 0',
      'llm_canary_route_state{route="embed",state="promoted"} 0',
      'llm_canary_route_state{route="embed",state="rolled_back"} 1',
    ]);
    expect(lines).toContain(
      'llm_canary_last_decision_timestamp_seconds{route="chat",action="advance"} 1764244800',
    );
    expect(lines).toContain("llm_canary_config_version 12");
    expect(lines).toContain('llm_canary_config_health{status="ok"} 1');
    expect(lines).toContain('llm_canary_config_health{status="invalid"} 0');
    expect(lines).toContain("llm_canary_rollups_up 1");
    expect(lines).toContain("llm_canary_outcomes_dropped_total 3");
    expect(lines).toContain("llm_canary_assignment_counts_dropped_total 2");
  });

  it("still describes every family without a config or D1", () => {
    const text = renderPrometheus(
      metricFamilies(
        snapshot({
          config: null,
          health: { status: "kv_error", error: "boom" },
          rollupsUp: false,
          traffic: [],
          lastDecisions: [],
        }),
      ),
    );
    expect(text).toMatch(/^# TYPE llm_canary_route_state gauge$/m);
    expect(sampleLines(text)).toEqual(
      expect.arrayContaining([
        "llm_canary_config_version 0",
        'llm_canary_config_health{status="kv_error"} 1',
        "llm_canary_rollups_up 0",
      ]),
    );
    expect(text).not.toContain("boom");
  });

  it("declares the type of every family once and only emits samples of declared families", () => {
    const text = renderPrometheus(metricFamilies(snapshot()));
    const declared = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => m[1]!);
    expect(new Set(declared).size).toBe(declared.length);
    for (const line of sampleLines(text)) {
      const name = /^[a-z_]+/.exec(line)![0];
      const family = name.replace(/_(sum|count)$/, "");
      expect(declared.includes(name) || declared.includes(family)).toBe(true);
      expect(line).toMatch(/^[a-z_]+(\{[a-z_]+="[^"\\\n]*"(,[a-z_]+="[^"\\\n]*")*\})? \S+$/);
    }
  });
});
