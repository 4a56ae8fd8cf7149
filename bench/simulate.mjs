// @ts-check
/**
 * The analyzer on simulated traffic, many seeds per scenario, in the
 * independent-request world and the realistic one (analyzer/sim/world.ts):
 * how often each rollout is promoted, rolled back, stuck, held by a
 * sample-ratio mismatch or has a segment excluded, and after how many canary
 * requests. Seeds run in parallel worker threads. Writes (adds to)
 * bench/results/simulation-world-<date>.json and prints a Markdown table
 * (docs/statistics.md, "The realistic world").
 *
 *   node bench/simulate.mjs [--seeds 200] [--only aa,errors] [--world realistic,independent] [--threads 2] [--advance-on pass|no_fail]
 *                           [--logging all|sampled] [--steps 5,100]
 *
 * `--advance-on` sets the policy's `advanceOn` (default: the policy default,
 * `pass`); `--logging sampled` logs outcomes as the edge's defaults do
 * (contracts/sampling.ts: the canary in full up to 4% of traffic, the stable
 * arm at 4× its count; default `all`); `--steps` replaces the rollout's steps
 * (default 1,5,10,25,50,100). Results under other values are keyed with them.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RPM = 2000;
/** The edge's default logging (contracts/config.ts LoggingSchema). */
const SAMPLED = { stableMultiple: 4, canaryShare: 4, minRate: 0.01 };

/**
 * The scenarios: canary changes against the baseline arm, what counts as a
 * hit, and the canary-request budget after which a run stops.
 * @type {Record<string, { canary: Record<string, number>, countries?: Array<Record<string, unknown>>,
 *   heavy?: boolean, stopAfter?: number, lose?: number, toxic?: number, hit: string }>}
 */
const SCENARIOS = {
  aa: { canary: {}, hit: "promoted" },
  "aa-heavy": { canary: {}, heavy: true, hit: "promoted" },
  errors: { canary: { errorRate: 0.03 }, stopAfter: 2000, hit: "rollback" },
  // p95 +30% with the median unchanged: log-sd from 0.5 to ln(1.3 · e^(1.645 · 0.5)) / 1.645.
  "p95-tail": {
    canary: { latencySigma: Math.log(1.3 * Math.exp(1.645 * 0.5)) / 1.645 },
    stopAfter: 2000,
    hit: "rollback",
  },
  "latency+10%": { canary: { latencyMedianMs: 880 }, hit: "not_rolled_back" },
  // Moderation sampled as the edge's defaults do (10% of canary answers, 1% of stable).
  toxicity: { canary: {}, toxic: 0.08, stopAfter: 4000, hit: "rollback" },
  "aa-toxicity": { canary: {}, toxic: 0.01, hit: "promoted" },
  // 5% of the canary's outcomes never reach the log (the edge served them).
  "lost-5%": { canary: {}, lose: 0.05, hit: "rollback" },
  "one-country-slow": {
    canary: {},
    countries: [
      { code: "US", share: 40 },
      { code: "DE", share: 25 },
      { code: "IN", share: 25 },
      { code: "BR", share: 10, canary: { latencyMedianMs: 1600 } },
    ],
    hit: "country_excluded",
  },
};

/**
 * Sampled moderation (analyzer/sim/scenario.ts QualityModel): stable answers
 * toxic at 1%, the canary's at `canary`, sampled at the edge's default rates;
 * users' propensities spread like their error propensities.
 * @param {number} canary
 */
const moderation = (canary) => ({
  toxicity: { stable: 0.01, canary },
  sampleRate: { stable: 0.01, canary: 0.1 },
  userSigma: 0.8,
});

/**
 * One seed of one scenario.
 * @param {any} sim the bundled analyzer/sim module
 * @param {string} name
 * @param {string} world
 * @param {number} seed
 * @param {string | undefined} advanceOn
 * @param {string | undefined} logging
 * @param {number[] | undefined} steps
 */
function runOne(sim, name, world, seed, advanceOn, logging, steps) {
  const s = SCENARIOS[name];
  if (!s) throw new Error(`unknown scenario ${name}`);
  const w =
    world === "realistic" ? (s.heavy ? sim.HEAVY_USERS_WORLD : sim.REALISTIC_WORLD) : undefined;
  if (world === "independent" && s.heavy) return null;
  // Sampled at the first step's weight, a budget of served canary requests is
  // one of logged ones: the analyzer sees `canary rate` of them.
  const rate = logging === "sampled" ? sim.loggingRates(steps?.[0] ?? 1, SAMPLED).canary : 1;
  const budget = s.stopAfter ? Math.round(s.stopAfter / rate) : undefined;
  const sc = sim.scenario(name, s.canary, {
    requestsPerMinute: RPM,
    ...(s.countries ? { countries: s.countries } : {}),
    ...(budget ? { stopAfterCanaryRequests: budget } : {}),
    ...(s.lose ? { canaryOutcomeLoss: s.lose } : {}),
    ...(s.toxic ? { quality: moderation(s.toxic) } : {}),
    ...(w ? { world: w } : {}),
    ...(logging === "sampled" ? { logging: SAMPLED } : {}),
  });
  const r = sim.simulate(sc, seed, {
    ...(advanceOn ? { policy: { advanceOn } } : {}),
    ...(steps ? { route: sim.simulationRoute(sim.DEFAULT_START, steps) } : {}),
  });
  /** @type {Array<{ action: string, reasons: string[], canaryRequests: number }>} */
  const events = r.events;
  const rollback = events.find((e) => e.action === "rollback");
  const exclusions = events.filter((e) => e.action === "exclude_segment");
  const srm = events.some((e) => e.reasons.some((x) => x.includes("sample-ratio mismatch")));
  const stuck = events.some((e) => e.action === "stuck");
  const state = r.finalRoute.state;
  const onlyBr =
    exclusions.length > 0 &&
    exclusions.every((e) => (e.reasons.at(-1) ?? "").startsWith("excluded exclude-country-BR;"));
  const hit =
    s.hit === "promoted"
      ? state === "promoted" && !rollback
      : s.hit === "rollback"
        ? rollback !== undefined && rollback.canaryRequests <= (budget ?? Infinity)
        : s.hit === "not_rolled_back"
          ? !rollback
          : state === "promoted" && onlyBr && !rollback;
  return {
    hit,
    state,
    rollbackAt: rollback?.canaryRequests ?? null,
    // The canary events the analyzer saw by then (the first step's rate).
    rollbackAtLogged: rollback ? Math.round(rollback.canaryRequests * rate) : null,
    excluded: exclusions.length > 0,
    srm,
    stuck,
    minutes: r.minutes,
  };
}

/** @param {number[]} xs */
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? null : s[Math.floor(s.length / 2)];
};

async function main() {
  const { values: args } = parseArgs({
    options: {
      seeds: { type: "string", default: "200" },
      only: { type: "string" },
      world: { type: "string", default: "realistic,independent" },
      threads: { type: "string", default: String(Math.max(1, availableParallelism())) },
      "advance-on": { type: "string" },
      logging: { type: "string", default: "all" },
      steps: { type: "string" },
    },
  });
  const steps = args.steps ? args.steps.split(",").map(Number) : undefined;
  const seeds = Number(args.seeds);
  const names = args.only ? args.only.split(",") : Object.keys(SCENARIOS);
  const worlds = (args.world ?? "").split(",");
  const work = await mkdtemp(join(tmpdir(), "llm-canary-sim-"));
  const bundle = join(work, "sim.mjs");
  await build({
    stdin: {
      contents: [
        'export * from "./analyzer/sim/simulate";',
        'export * from "./analyzer/sim/scenario";',
        'export * from "./analyzer/sim/world";',
        'export { loggingRates } from "./contracts/sampling";',
      ].join("\n"),
      resolveDir: ROOT,
      loader: "ts",
    },
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    outfile: bundle,
    logLevel: "warning",
  });
  const threads = Math.max(1, Number(args.threads));
  const jobs = names.flatMap((n) =>
    worlds.map((w) => ({
      name: n,
      world: w,
      seeds: Array.from({ length: seeds }, (_, i) => i + 1),
    })),
  );
  /** @type {Record<string, any>} */
  const results = {};
  for (const job of jobs) {
    const parts = Array.from({ length: threads }, (_, k) =>
      job.seeds.filter((_, i) => i % threads === k),
    );
    const runs = (
      await Promise.all(
        parts.map(
          (part) =>
            new Promise((resolve, reject) => {
              const w = new Worker(fileURLToPath(import.meta.url), {
                workerData: {
                  bundle,
                  name: job.name,
                  world: job.world,
                  seeds: part,
                  advanceOn: args["advance-on"],
                  logging: args.logging,
                  steps,
                },
              });
              w.once("message", resolve);
              w.once("error", reject);
            }),
        ),
      )
    )
      .flat()
      .filter(Boolean);
    if (runs.length === 0) continue;
    const n = runs.length;
    const count = (/** @type {(r: any) => boolean} */ f) => runs.filter(f).length;
    const at = runs.map((r) => r.rollbackAt).filter((x) => x !== null);
    const advanceOn = args["advance-on"] ?? "pass";
    const key = [
      `${job.name} / ${job.world}`,
      advanceOn === "pass" ? "" : ` / advanceOn=${advanceOn}`,
      args.logging === "sampled" ? " / logging=sampled" : "",
      steps ? ` / steps=${steps.join(",")}` : "",
    ].join("");
    results[key] = {
      scenario: job.name,
      world: job.world,
      advanceOn,
      logging: args.logging,
      steps: steps ?? null,
      seeds: n,
      hit: count((r) => r.hit) / n,
      promoted: count((r) => r.state === "promoted") / n,
      rolledBack: count((r) => r.rollbackAt !== null) / n,
      excluded: count((r) => r.excluded) / n,
      srmHeld: count((r) => r.srm) / n,
      stuck: count((r) => r.stuck) / n,
      unfinished: count((r) => r.state !== "promoted" && r.rollbackAt === null) / n,
      rollbackAtMedian: median(at),
      rollbackAtLoggedMedian: median(runs.map((r) => r.rollbackAtLogged).filter((x) => x !== null)),
      rollbackAtMax: at.length ? Math.max(...at) : null,
    };
    console.log(`${key}: ${JSON.stringify(results[key])}`);
  }
  const date = new Date().toISOString().slice(0, 10);
  await mkdir(join(ROOT, "bench", "results"), { recursive: true });
  const file = join(ROOT, "bench", "results", `simulation-world-${date}.json`);
  // Runs of other scenarios the same day add to the file.
  const previous = existsSync(file) ? JSON.parse(await readFile(file, "utf8")).results : {};
  await writeFile(
    file,
    `${JSON.stringify({ requestsPerMinute: RPM, results: { ...previous, ...results } }, null, 2)}\n`,
  );
  const pct = (/** @type {number} */ x) => `${(x * 100).toFixed(1)}%`;
  console.log(
    [
      "",
      "| scenario | world | advance on | logging | steps | seeds | hit | promoted | rolled back | excluded | held by SRM | stuck | unfinished | canary requests at rollback (median / max) |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
      ...Object.values(results).map(
        (r) =>
          `| ${r.scenario} | ${r.world} | ${r.advanceOn} | ${r.logging} | ${r.steps?.join(",") ?? "default"} | ${r.seeds} | ${pct(r.hit)} | ${pct(r.promoted)} | ${pct(r.rolledBack)} | ${pct(r.excluded)} | ${pct(r.srmHeld)} | ${pct(r.stuck)} | ${pct(r.unfinished)} | ${r.rollbackAtMedian ?? "–"} / ${r.rollbackAtMax ?? "–"} |`,
      ),
      "",
      `written: ${file}`,
    ].join("\n"),
  );
  await rm(work, { recursive: true, force: true });
}

if (isMainThread) {
  await main();
} else {
  const d =
    /** @type {{ bundle: string, name: string, world: string, seeds: number[], advanceOn?: string, logging?: string, steps?: number[] }} */ (
      workerData
    );
  const sim = await import(pathToFileURL(d.bundle).href);
  parentPort?.postMessage(
    d.seeds.map((seed) => runOne(sim, d.name, d.world, seed, d.advanceOn, d.logging, d.steps)),
  );
}
