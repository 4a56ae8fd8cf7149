// @ts-check
/**
 * The demo's report: per scenario a time series (weight, observed canary
 * share, key metrics from the analyzer's decision records) turned into an
 * SVG chart, plus a summary table in Markdown and everything as JSON.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { renderChart } from "./chart.mjs";

/**
 * @typedef {object} Sample
 * @property {number} t seconds since the load started
 * @property {number | null} weight the route's canary weight, %
 * @property {string} state
 * @property {number | null} share observed canary share since the last sample, %
 * @property {number | null} focusShare the same for the scenario's focus country, %
 * @property {Record<string, number | null>} metrics key metric values by label
 *
 * @typedef {object} ScenarioRun
 * @property {import("./scenarios.mjs").Scenario} scenario
 * @property {Sample[]} samples
 * @property {Array<{ t: number, action: string, summary: string, reasons: string[] }>} actions
 * @property {import("./scenarios.mjs").Verdict} verdict
 * @property {number | null} decidedAt seconds until the expected (or unexpected) end state
 * @property {number} requests
 * @property {Record<string, any> | null} finalRoute
 */

const COLORS = ["#d62728", "#9467bd", "#2ca02c"];

/**
 * @param {ScenarioRun} run
 * @param {number} tMax
 */
export function scenarioChart(run, tMax) {
  const s = run.scenario;
  const points = (/** @type {(x: Sample) => number | null} */ f) =>
    /** @type {Array<[number, number]>} */ (
      run.samples.map((x) => [x.t, f(x)]).filter((p) => p[1] !== null)
    );
  /** @type {import("./chart.mjs").Panel[]} */
  const panels = [
    {
      label: "Canary weight and observed canary share (%)",
      min: 0,
      max: 100,
      format: (v) => v.toFixed(0),
      series: [
        {
          name: "configured weight",
          color: "#1f77b4",
          points: points((x) => x.weight),
          step: true,
        },
        { name: "observed share", color: "#ff7f0e", points: points((x) => x.share) },
        ...(s.focusCountry
          ? [
              {
                name: `observed share, ${s.focusCountry}`,
                color: "#8c564b",
                points: points((x) => x.focusShare),
              },
            ]
          : []),
      ],
    },
  ];
  s.keyMetrics.forEach((m, i) => {
    const ratio = m.kind === "ratio";
    panels.push({
      label: `${m.label}${ratio ? "" : " (percentage points)"}, from the analyzer's records`,
      series: [
        {
          name: m.label,
          color: COLORS[i % COLORS.length] ?? "#333",
          points: points((x) => {
            const v = x.metrics[m.label];
            return v === null || v === undefined ? null : ratio ? v : v * 100;
          }),
        },
      ],
      ...(ratio ? { min: 0.8, refLines: [{ y: 1.2, label: "threshold 1.2" }] } : {}),
      ...(!ratio && m.metric === "error_rate"
        ? { refLines: [{ y: 1, label: "threshold +1 pp" }] }
        : {}),
      ...(!ratio && m.metric === "toxicity_rate"
        ? { refLines: [{ y: 2, label: "threshold +2 pp" }] }
        : {}),
    });
  });
  return renderChart({
    title: `${s.title}: ${run.verdict === "expected" ? "as expected" : "NOT as expected"}`,
    subtitle: `expected: ${s.expected}`,
    panels,
    events: run.actions
      .filter((a) => a.action !== "hold")
      .map((a) => ({ t: a.t, label: a.action })),
    tMax,
  });
}

/** @param {ScenarioRun} r */
export function outcomeText(r) {
  const route = r.finalRoute ?? {};
  const excluded = /** @type {Array<{ name: string, weight: number }>} */ (route.segments ?? [])
    .filter((x) => x.name.startsWith("exclude-") && x.weight === 0)
    .map((x) => x.name);
  return [
    `state ${route.state ?? "?"}`,
    `weight ${route.weight ?? "?"}%`,
    ...(excluded.length ? [`excluded ${excluded.join(", ")}`] : []),
  ].join(", ");
}

/**
 * Writes report.md, summary.json, timeline.json and one SVG per scenario.
 * @param {string} dir
 * @param {{ runs: ScenarioRun[], mode: string, startedAt: string, wallSeconds: number,
 *   machine: string, notes: string[] }} r
 */
export async function writeReport(dir, r) {
  await mkdir(dir, { recursive: true });
  const tMax = Math.max(10, ...r.runs.flatMap((x) => x.samples.map((s) => s.t)));
  for (const run of r.runs)
    await writeFile(join(dir, `${run.scenario.id}.svg`), scenarioChart(run, tMax));
  const rows = r.runs.map((x) => {
    const decisive = [...x.actions].reverse().find((a) => a.action !== "hold");
    return `| ${x.scenario.title} | ${x.scenario.expected} | ${outcomeText(x)} | ${x.decidedAt === null ? "–" : `${x.decidedAt.toFixed(0)} s`} | ${x.verdict === "expected" ? "yes" : "**no**"} | ${(decisive?.summary ?? "").replace(/\|/g, "\\|")} |`;
  });
  const md = [
    `# llm-canary demo (${r.mode})`,
    "",
    `Started ${r.startedAt}, ${r.wallSeconds.toFixed(0)} s in all, on ${r.machine}.`,
    "",
    "| scenario | expected | outcome | decided after | as expected | last analyzer action |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
    ...r.runs.flatMap((x) => [
      `## ${x.scenario.title}`,
      "",
      `![${x.scenario.id}](${x.scenario.id}.svg)`,
      "",
      ...x.actions
        .filter((a) => a.action !== "hold")
        .flatMap((a) => [
          `- ${a.t.toFixed(0)} s **${a.action}**`,
          ...a.reasons.map((why) => `  - ${why}`),
        ]),
      "",
    ]),
    ...(r.notes.length ? ["## Notes", "", ...r.notes.map((n) => `- ${n}`), ""] : []),
  ].join("\n");
  await writeFile(join(dir, "report.md"), md);
  await writeFile(
    join(dir, "summary.json"),
    JSON.stringify(
      {
        mode: r.mode,
        startedAt: r.startedAt,
        wallSeconds: r.wallSeconds,
        scenarios: r.runs.map((x) => ({
          id: x.scenario.id,
          expected: x.scenario.expected,
          verdict: x.verdict,
          decidedAt: x.decidedAt,
          requests: x.requests,
          outcome: outcomeText(x),
          actions: x.actions.filter((a) => a.action !== "hold"),
        })),
      },
      null,
      2,
    ),
  );
  await writeFile(
    join(dir, "timeline.json"),
    JSON.stringify(
      r.runs.map((x) => ({ id: x.scenario.id, samples: x.samples, actions: x.actions })),
      null,
      1,
    ),
  );
}
