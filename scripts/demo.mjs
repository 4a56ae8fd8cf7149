// @ts-check
/**
 * `npm run demo`: the rollout story on the local stack, three routes side by
 * side (see scripts/demo/scenarios.mjs): a healthy canary promoted, a slow
 * and toxic one rolled back, a regression in one country excluded.
 *
 * Own state directory (a temp dir; `.state/` is never touched), short step
 * durations through each route's `policy`, and the analyzer triggered every
 * few seconds through the stack's `runCron()` instead of once a minute. The
 * analyzer's windows run on real time: a step that starts mid-minute is
 * judged from the next whole minute, so steps are short rather than clocks
 * faked. Progress comes from the admin API; a report with one SVG chart per
 * scenario goes to `demo-results/<timestamp>/`. Exits 1 when any scenario
 * ends differently from what it expects.
 *
 *   npm run demo [-- --short] [--rate 40] [--out DIR] [--keep-state]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "./stack.mjs";
import {
  admin,
  freePort,
  keyValue,
  loadTools,
  startOrigins,
  startStackWithRetry,
  waitForData,
} from "./demo/local.mjs";
import { LATENCY_SIGMA } from "./demo/origins.mjs";
import { BASE_LATENCY_MS, SCENARIOS } from "./demo/scenarios.mjs";
import { outcomeText, writeReport } from "./demo/report.mjs";

const { values: args } = parseArgs({
  options: {
    short: { type: "boolean", default: false },
    rate: { type: "string" },
    out: { type: "string" },
    "keep-state": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log("usage: npm run demo [-- --short] [--rate REQ_PER_S] [--out DIR] [--keep-state]");
  process.exit(0);
}

const SHORT = args.short;
const MODE = SHORT ? "short" : "full";
/** Requests per second over all scenarios: what the local stack sustains on 2 busy cores. */
const RATE = Number(args.rate ?? 45);
/** Seconds of traffic before an unfinished scenario counts as failed. */
const DEADLINE_S = SHORT ? 90 : 300;
/** Seconds of warm-up traffic on a route nobody judges. */
const WARMUP_S = 5;
/** Seconds between analyzer runs. */
const TICK_S = 3;
/** Seconds of traffic a scenario keeps after its end state, to show what follows. */
const TAIL_S = 5;
const MINUTE = 60_000;

const log = (/** @type {string} */ line) => console.log(line);
const elapsed = (/** @type {number} */ t0) => (performance.now() - t0) / 1000;

/** @typedef {{ all: number, canary: number, focus: number, focusCanary: number }} Tally */

/** @param {number | null} v @param {"ratio" | "delta"} kind */
const show = (v, kind) =>
  v === null ? "–" : kind === "ratio" ? `${v.toFixed(2)}x` : `${(v * 100).toFixed(1)}pp`;

async function main() {
  const wall0 = performance.now();
  const startedAt = new Date().toISOString();
  const stateDir = await mkdtemp(join(tmpdir(), "llm-canary-demo-"));
  const outDir = args.out ?? join(ROOT, "demo-results", startedAt.replace(/[:.]/g, "-"));
  const tools = await loadTools(stateDir);
  /** @type {Array<() => Promise<unknown>>} */
  const cleanups = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    cleanups.length = 0;
    if (!args["keep-state"]) await rm(stateDir, { recursive: true, force: true });
  };
  process.once("SIGINT", () => void cleanup().then(() => process.exit(130)));

  try {
    const origins = await startOrigins();
    cleanups.push(origins.stop);
    // Every step starts at the current whole minute, so the first window holds all traffic.
    const timing = {
      steps: SHORT ? [50, 100] : [40, 70, 100],
      minStepDurationMs: SHORT ? 8_000 : 20_000,
      minCanarySamples: SHORT ? 50 : 150,
      // The healthy route's 100% step: in short mode a time-only bake, since
      // its window (from the next whole minute) would otherwise add up to a
      // minute. Its earlier steps wait for their verdicts anyway.
      bakeSamples: SHORT ? 0 : 150,
      plannedSamples: 500,
      startedAt: new Date(Math.floor(Date.now() / MINUTE) * MINUTE).toISOString(),
    };
    const config = {
      version: 1,
      // A few hundred requests a minute: every outcome is logged (the
      // production defaults sample the stable arm; docs/capacity.md).
      settings: { logging: { canaryShare: 100, minRate: 1 } },
      evaluators: [
        {
          name: "demo_moderation",
          kind: "moderation",
          url: origins.moderation,
          maxPerMinute: 100_000,
          timeoutMs: 5_000,
        },
      ],
      routes: [
        ...SCENARIOS.map((s) => s.route(origins, timing)),
        // Stable only, never judged: warms the edge, queue and D1 up before
        // the scenarios' windows collect anything.
        {
          id: "warmup",
          models: ["demo-warmup"],
          stable: { id: "warmup-v1", originUrl: `${origins.front}/healthy-stable`, model: "m" },
          weight: 0,
        },
      ],
    };

    log(`llm-canary demo (${MODE}): state in ${stateDir}, report to ${outDir}`);
    const stack = await startStackWithRetry({
      port: await freePort(),
      stateDir,
      config,
      cron: false,
      log: (line) => log(`  ${line}`),
    });
    cleanups.push(stack.stop);
    log(
      `  steps ${timing.steps.join("% → ")}%, each held ≥ ${timing.minStepDurationMs / 1000} s; analyzer every ${TICK_S} s; ${RATE} req/s over the active scenarios\n`,
    );

    await tools.runLoad({
      url: stack.url,
      model: "demo-warmup",
      mix: { countries: [], cohorts: [], classes: [], users: 0, streamShare: 0.2 },
      rate: RATE,
      concurrency: 128,
      durationMs: WARMUP_S * 1000,
      timeoutMs: 15_000,
    });
    log(`  warmed up for ${WARMUP_S} s`);

    /** @type {import("./demo/report.mjs").ScenarioRun[]} */
    const runs = SCENARIOS.map((scenario) => ({
      scenario,
      samples: [],
      actions: [],
      verdict: "running",
      decidedAt: null,
      requests: 0,
      finalRoute: null,
    }));
    const t0 = performance.now();
    /** Per scenario: counts since the last sample. */
    const tally = runs.map(() => ({ all: 0, canary: 0, focus: 0, focusCanary: 0 }));
    /** Per scenario: seconds when its load stops (end state + tail), or null. */
    const stopAt = runs.map(() => /** @type {number | null} */ (null));
    const active = () =>
      runs.filter((_, i) => stopAt[i] === null || elapsed(t0) < (stopAt[i] ?? 0));

    /** Per scenario: aborts its load. */
    const stoppers = runs.map(() => new AbortController());
    const drive = async (/** @type {number} */ i) => {
      const run = /** @type {import("./demo/report.mjs").ScenarioRun} */ (runs[i]);
      const s = run.scenario;
      // Scenarios that have ended give their share of the rate to the others.
      const rate = () => {
        const share = active().reduce((sum, r) => sum + r.scenario.rateShare, 0) || 1;
        return Math.max(1, (RATE * s.rateShare) / share);
      };
      await tools.runLoad({
        url: stack.url,
        model: s.model,
        mix: s.mix,
        rate,
        concurrency: 128,
        durationMs: DEADLINE_S * 1000,
        timeoutMs: 15_000,
        seed: i + 1,
        headersFor: s.headersFor,
        signal: /** @type {AbortController} */ (stoppers[i]).signal,
        onResult: (r) => {
          const t = /** @type {Tally} */ (tally[i]);
          run.requests += 1;
          t.all += 1;
          if (r.variant === "canary") t.canary += 1;
          if (s.focusCountry && r.country === s.focusCountry) {
            t.focus += 1;
            if (r.variant === "canary") t.focusCanary += 1;
          }
        },
      });
    };
    const loads = runs.map((_, i) => drive(i));
    // The first analyzer run waits for every route's first outcomes in D1: a
    // window without any data has no verdict to hold on.
    await waitForData(
      stack.url,
      runs.map((r) => r.scenario.id),
    );
    log(
      `[${elapsed(t0).toFixed(0).padStart(3)}s] outcomes of every route are in D1; the analyzer starts`,
    );

    /** @type {string[]} */
    const lastLine = runs.map(() => "");
    /** Per scenario: id of the last decision record looked at. */
    const seen = runs.map(() => "");
    const lastPrint = runs.map(() => -Infinity);
    // Until every scenario has ended and shown its tail (or the deadline).
    const busy = () =>
      runs.some((r) => r.verdict === "running") ||
      stopAt.some((at) => at !== null && elapsed(t0) < at + TICK_S);
    while (elapsed(t0) < DEADLINE_S && busy()) {
      const tickStart = performance.now();
      stopAt.forEach((at, i) => {
        if (at !== null && elapsed(t0) >= at) stoppers[i]?.abort();
      });
      await stack.runCron();
      const { config: current } = await admin(stack.url, "/config");
      const t = elapsed(t0);
      for (const [i, run] of runs.entries()) {
        if (stopAt[i] !== null && t > (stopAt[i] ?? 0) + TICK_S) continue;
        const s = run.scenario;
        const route = current?.routes?.find((/** @type {any} */ r) => r.id === s.id) ?? null;
        const { decisions } = await admin(stack.url, `/decisions?route=${s.id}&limit=1`);
        const d = decisions?.[0];
        const c =
          /** @type {{ all: number, canary: number, focus: number, focusCanary: number }} */ (
            tally[i]
          );
        /** @type {Record<string, number | null>} */
        const metrics = {};
        for (const m of s.keyMetrics) metrics[m.label] = keyValue(d, m);
        run.samples.push({
          t,
          weight: typeof route?.weight === "number" ? route.weight : null,
          state: String(route?.state ?? "?"),
          share: c.all > 0 ? (100 * c.canary) / c.all : null,
          focusShare: c.focus > 0 ? (100 * c.focusCanary) / c.focus : null,
          metrics,
        });
        Object.assign(c, { all: 0, canary: 0, focus: 0, focusCanary: 0 });
        if (d && d.id !== seen[i] && d.action !== "hold" && d.applied) {
          const reasons = /** @type {string[]} */ (d.record?.reasons ?? [d.summary]);
          run.actions.push({ t, action: d.action, summary: d.summary, reasons });
          log(`[${t.toFixed(0).padStart(3)}s] ${s.id.padEnd(8)} ${d.action.toUpperCase()}`);
          for (const why of reasons.slice(0, 4)) log(`${" ".repeat(16)}${why.slice(0, 200)}`);
        }
        if (d) seen[i] = d.id;
        const step = route?.rollout
          ? `step ${route.rollout.stepIndex + 1}/${route.rollout.steps.length}`
          : String(route?.state ?? "");
        const keys = s.keyMetrics.map(
          (m) => `${m.label} ${show(metrics[m.label] ?? null, m.kind)}`,
        );
        const line = `${step} weight ${route?.weight ?? "?"}% | ${keys.join(" | ")} | ${d?.summary ?? "no decision yet"}`;
        if (line !== lastLine[i] && t - (lastPrint[i] ?? 0) >= 9) {
          log(`[${t.toFixed(0).padStart(3)}s] ${s.id.padEnd(8)} ${line.slice(0, 220)}`);
          lastLine[i] = line;
          lastPrint[i] = t;
        }
        if (run.verdict === "expected" && route && s.judge(route) === "unexpected") {
          run.verdict = "unexpected";
          log(
            `[${t.toFixed(0).padStart(3)}s] ${s.id.padEnd(8)} NOT AS EXPECTED after all: ${outcomeText({ ...run, finalRoute: route })}`,
          );
        }
        if (run.verdict === "running" && route) {
          const v = s.judge(route);
          if (v !== "running") {
            run.verdict = v;
            run.decidedAt = t;
            stopAt[i] = t + TAIL_S;
            log(
              `[${t.toFixed(0).padStart(3)}s] ${s.id.padEnd(8)} ${v === "expected" ? "as expected" : "NOT AS EXPECTED"}: ${outcomeText({ ...run, finalRoute: route })}`,
            );
          }
        }
        run.finalRoute = route;
      }
      const rest = TICK_S * 1000 - (performance.now() - tickStart);
      if (rest > 0) await new Promise((r) => setTimeout(r, rest));
    }
    for (const [i, run] of runs.entries()) {
      if (run.verdict === "running") {
        run.verdict = "unexpected";
        stopAt[i] = elapsed(t0);
      }
    }
    for (const s of stoppers) s.abort();
    await Promise.all(loads);

    const notes = [
      `Origin latencies are log-normal (sigma ${LATENCY_SIGMA}) around a median of ${BASE_LATENCY_MS} ms; the slow canary's median is 30% higher; India is 3× slower on both regional releases, Brazil 2× slower on the regional canary only.`,
      `Policy per route: steps ${timing.steps.join(", ")}; minStepDurationMs ${timing.minStepDurationMs}; minCanarySamples ${timing.minCanarySamples} (healthy: ${timing.bakeSamples}); plannedSamples ${timing.plannedSamples}; the slow route sends every answer to the moderation evaluator, and the analyzer's default checks include toxicity (critical).`,
      `The analyzer ran every ${TICK_S} s through wrangler dev's /__scheduled; windows follow real time, so a step that starts mid-minute is judged from the next whole minute.`,
      `Observed canary share is what clients saw (x-canary-variant); a canary that failed over counts as stable there.`,
    ];
    await writeReport(outDir, {
      runs,
      mode: MODE,
      startedAt,
      wallSeconds: elapsed(wall0),
      machine: `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}`,
      notes,
    });

    log("\nscenario   expected                                   outcome");
    for (const r of runs) {
      log(
        `${r.scenario.id.padEnd(10)} ${r.scenario.expected.slice(0, 42).padEnd(42)} ${r.verdict === "expected" ? "OK " : "FAIL"} ${outcomeText(r)}${r.decidedAt !== null ? ` after ${r.decidedAt.toFixed(0)} s` : ""}`,
      );
    }
    log(`\nreport: ${join(outDir, "report.md")} (${elapsed(wall0).toFixed(0)} s in all)`);
    return runs.every((r) => r.verdict === "expected") ? 0 : 1;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(2);
  },
);
