// @ts-check
/**
 * `npm run bench`: the router side by side with a bare Worker, straight to
 * the origin and Portkey's gateway, on this machine, in one run (see
 * bench/README.md). Writes bench/results/<date>.json and .md and puts the
 * summary into bench/README.md. `-- --quick` is a smoke run (fewer, shorter
 * rounds, small analyzer sizes) written to a temp directory instead.
 *
 *   npm run bench [-- --quick] [--only latency,throughput,slow,streaming,relay,cpu,ingest,analyzer,capacity] [--sizes 1000,1000000]
 *                 [--no-pin] [--no-portkey] [--streams 64,256]
 *   npm run bench -- --report bench/results/<date>.json   (summary and README again, no measuring)
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { buildHarness, buildRouter } from "./lib/build.mjs";
import { environment, load1 } from "./lib/env.mjs";
import { canPin, pin } from "./lib/procs.mjs";
import { markdown } from "./lib/report.mjs";
import { paired } from "./lib/stats.mjs";
import {
  MODEL,
  OPEN_MODEL,
  SLOW_HEADER,
  SLOW_MODEL,
  STREAM,
  portkeyConfig,
  startBare,
  startOrigins,
  startPortkey,
  startRouter,
} from "./lib/targets.mjs";
import { migrate, migrationStatements, projectWorkerOptions, startWorker } from "./lib/workerd.mjs";
import { haveWrk } from "./lib/wrk.mjs";
import { analyzer, dbName } from "./suites/analyzer.mjs";
import { capacity, PROFILES } from "./suites/capacity.mjs";
import { cpuPerRequest, rounds } from "./suites/http.mjs";
import { ingest } from "./suites/ingest.mjs";
import { relays } from "./suites/relays.mjs";
import { streaming } from "./suites/streaming.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    "no-pin": { type: "boolean", default: false },
    "no-portkey": { type: "boolean", default: false },
    report: { type: "string" },
    streams: { type: "string" },
    sizes: { type: "string" },
  },
});
const QUICK = args.quick;
const ONLY = args.only ? new Set(args.only.split(",")) : null;
const want = (/** @type {string} */ s) => ONLY === null || ONLY.has(s);

/** Settings per mode: rounds, seconds per measurement, sizes. */
const CFG = QUICK
  ? {
      rounds: 2,
      seconds: 2,
      warmup: 1,
      tputRounds: 1,
      streamCounts: [64],
      streamRounds: 1,
      cpuRounds: 1,
      ingestBatches: 20,
      ingestRounds: 1,
      sizes: [1_000, 10_000],
      check: 2_000,
      repeats: 5,
    }
  : {
      rounds: 5,
      seconds: 3,
      warmup: 2,
      tputRounds: 3,
      streamCounts: [64, 256],
      streamRounds: 3,
      cpuRounds: 3,
      ingestBatches: 100,
      ingestRounds: 3,
      sizes: [1_000, 10_000, 100_000, 1_000_000],
      check: 10_000,
      repeats: 15,
    };

// `--streams 64,256`: the concurrent stream counts of the streaming and relay suites.
if (args.streams) CFG.streamCounts = args.streams.split(",").map(Number);
// `--sizes 1000000,10000000`: the analyzer suite's requests per route and day.
if (args.sizes) CFG.sizes = args.sizes.split(",").map(Number);

const log = (/** @type {string} */ s) => console.log(s);
const pinning = !args["no-pin"] && canPin();
/** CPU 0: load generators and origins; CPU 1: the system under test. */
const LOAD_CPUS = pinning ? "0" : null;
const SUT_CPUS = pinning ? "1" : null;

const body = JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "Say hello" }] });
const slowBody = JSON.stringify({
  model: SLOW_MODEL,
  messages: [{ role: "user", content: "Say hello" }],
});
const streamBody = JSON.stringify({
  model: MODEL,
  stream: true,
  messages: [{ role: "user", content: "Stream please" }],
});
const openBody = JSON.stringify({
  model: OPEN_MODEL,
  messages: [{ role: "user", content: "Say hello" }],
});
const openStreamBody = JSON.stringify({
  model: OPEN_MODEL,
  stream: true,
  messages: [{ role: "user", content: "Stream please" }],
});
const PATH = "/v1/chat/completions";

/**
 * Runs one suite; a failure is recorded in the results, not fatal.
 * @param {string} name
 * @param {() => Promise<unknown>} fn
 */
async function suite(name, fn) {
  log(`\n== ${name}`);
  const t0 = performance.now();
  try {
    const out = /** @type {Record<string, unknown>} */ (await fn());
    return { ...out, seconds: (performance.now() - t0) / 1000 };
  } catch (e) {
    const cause = /** @type {{ cause?: unknown }} */ (e).cause;
    const text = `${String(e)}${cause ? ` (${String(cause)})` : ""}`;
    log(`   failed: ${text}`);
    return { error: text.split("\n").slice(0, 3).join(" ") };
  }
}

/**
 * `--only capacity`: the capacity suite alone (no HTTP targets, no wrk), once
 * per write profile (`PROFILES`), each in a workerd and database of its own
 * so that the SQLite file's bytes are the profile's; written to
 * bench/results/capacity-<date>.json for docs/capacity.md.
 */
async function capacityOnly() {
  const work = await mkdtemp(join(tmpdir(), "llm-canary-capacity-"));
  try {
    const { harness, traffic } = await buildHarness(ROOT, join(work, "harness"));
    const base = await projectWorkerOptions(ROOT);
    const { syntheticOutcomes } = await import(traffic);
    /** @type {Record<string, unknown>} */
    const results = {};
    for (const [name, profile] of Object.entries(PROFILES)) {
      const stateDir = join(work, `capacity-state-${name}`);
      const w = await startWorker({
        name: `capacity-harness-${name}`,
        scriptPath: harness,
        cpus: SUT_CPUS,
        persist: stateDir,
        options: {
          compatibilityDate: base.compatibilityDate,
          compatibilityFlags: base.compatibilityFlags,
          d1Databases: { CAPACITY: "bench-capacity" },
        },
      });
      try {
        await migrate(w.mf, "CAPACITY", await migrationStatements(ROOT));
        results[name] = await suite(`capacity (${name}): bytes and writes per million events`, () =>
          capacity({
            url: w.url,
            traffic: syntheticOutcomes,
            // 10,000 requests a second at a 1% step, logged by default: 500 a second.
            perMinute: 30_000,
            minutes: QUICK ? 1 : 10,
            stateDir,
            log,
            profile,
          }),
        );
      } finally {
        await w.stop();
      }
    }
    const out = {
      startedAt: new Date().toISOString(),
      environment: environment(ROOT),
      capacity: results,
    };
    const file = join(
      QUICK ? work : join(ROOT, "bench", "results"),
      `capacity-${out.startedAt.slice(0, 10)}.json`,
    );
    await writeFile(file, `${JSON.stringify(out, null, 2)}\n`);
    log(JSON.stringify(results, null, 2));
    log(`results: ${file}`);
  } finally {
    if (!QUICK) await rm(work, { recursive: true, force: true });
  }
}

async function main() {
  if (ONLY !== null && ONLY.size === 1 && ONLY.has("capacity")) return capacityOnly();
  const startedAt = new Date().toISOString();
  const wall0 = performance.now();
  const env = environment(ROOT);
  const loadStart = load1();
  if (!(await haveWrk()))
    throw new Error("wrk is not installed (apt-get install -y wrk); it drives the HTTP benchmarks");
  if (pinning) pin(process.pid, LOAD_CPUS);
  const work = await mkdtemp(join(tmpdir(), "llm-canary-bench-"));
  /** @type {Array<() => Promise<unknown>>} */
  const stops = [];
  /** @type {string[]} */
  const notes = [];
  /** @type {Record<string, unknown>} */
  const suites = {};
  /** What is known about the Portkey peer (its version, or why it is missing). */
  const peer = {
    portkey: /** @type {{ version: string | null } | { error: string }} */ ({
      error: "not started",
    }),
  };
  try {
    log(`llm-canary bench (${QUICK ? "quick" : "full"}), work dir ${work}`);
    const bundle = await buildRouter(ROOT, join(work, "bundle"));
    const {
      harness,
      traffic,
      relays: relaysWorker,
    } = await buildHarness(ROOT, join(work, "harness"));
    log(`built the router bundle (wrangler deploy --dry-run) and the analyzer harness`);

    const origins = await startOrigins(ROOT, LOAD_CPUS);
    stops.push(origins.stop);
    const router = await startRouter({
      root: ROOT,
      bundle,
      origins,
      logging: true,
      cpus: SUT_CPUS,
      name: "router",
    });
    stops.push(router.stop);
    const nolog = await startRouter({
      root: ROOT,
      bundle,
      origins,
      logging: false,
      cpus: SUT_CPUS,
      name: "router-nolog",
    });
    stops.push(nolog.stop);
    const apart = await startRouter({
      root: ROOT,
      bundle,
      origins,
      logging: true,
      consumer: false,
      cpus: SUT_CPUS,
      name: "router-apart",
    });
    stops.push(apart.stop);
    const bare = await startBare({ root: ROOT, origins, cpus: SUT_CPUS });
    stops.push(bare.stop);
    const bareSend = await startBare({ root: ROOT, origins, cpus: SUT_CPUS, send: true });
    stops.push(bareSend.stop);
    const portkey = args["no-portkey"]
      ? { error: "skipped (--no-portkey)" }
      : await startPortkey({ root: ROOT, cpus: SUT_CPUS, log });
    if ("error" in portkey) {
      notes.push(`Portkey gateway not measured: ${portkey.error}`);
      peer.portkey = { error: portkey.error };
    } else {
      stops.push(portkey.stop);
      peer.portkey = { version: portkey.version };
    }
    log(
      `targets: router ${router.url} (workerd pid ${router.pid}), router-nolog ${nolog.url}, bare ${bare.url}, ` +
        `origin ${origins.stable.url}${"error" in portkey ? `, Portkey: ${portkey.error}` : `, Portkey ${portkey.url}`}`,
    );

    /** @type {import("./suites/http.mjs").Target[]} */
    const targets = [
      { name: "direct", url: origins.stable.url + PATH, body },
      { name: "bare", url: bare.url + PATH, body, pid: bare.pid },
      { name: "router", url: router.url + PATH, body, pid: router.pid },
      { name: "router-nolog", url: nolog.url + PATH, body, pid: nolog.pid },
      { name: "router-apart", url: apart.url + PATH, body, pid: apart.pid },
      // The consumer apart too, on a route whose releases carry no origin key (the native relay).
      { name: "router-open", url: apart.url + PATH, body: openBody, pid: apart.pid },
    ];
    if (!("error" in portkey))
      targets.push({
        name: "portkey",
        url: portkey.url + PATH,
        body,
        pid: portkey.pid,
        headers: { "x-portkey-config": portkeyConfig(origins.stable.url, origins.canary.url) },
      });
    const runOpts = {
      rounds: CFG.rounds,
      seconds: CFG.seconds,
      warmupSeconds: CFG.warmup,
      loadCpus: LOAD_CPUS,
      log,
    };
    /** @param {Record<string, any>} res @param {string} a @param {string} b @param {"p50" | "p99" | "rps"} k */
    const diff = (res, a, b, k) =>
      paired(res[a][k].rounds, res[b][k].rounds, (x, y) => (k === "rps" ? x / y : x - y));

    if (want("latency"))
      suites.latency = await suite("latency at concurrency 1", async () => {
        const results = await rounds(targets, 1, runOpts);
        return {
          results,
          derived: {
            routerMinusBareP50: diff(results, "router", "bare", "p50"),
            routerMinusBareP99: diff(results, "router", "bare", "p99"),
            routerMinusDirectP50: diff(results, "router", "direct", "p50"),
            bareMinusDirectP50: diff(results, "bare", "direct", "p50"),
            loggingP50: diff(results, "router", "router-nolog", "p50"),
            loggingP99: diff(results, "router", "router-nolog", "p99"),
            apartMinusBareP50: diff(results, "router-apart", "bare", "p50"),
            apartMinusBareP99: diff(results, "router-apart", "bare", "p99"),
            openMinusBareP50: diff(results, "router-open", "bare", "p50"),
            openMinusBareP99: diff(results, "router-open", "bare", "p99"),
            ...(results.portkey
              ? { portkeyMinusDirectP50: diff(results, "portkey", "direct", "p50") }
              : {}),
          },
        };
      });

    if (want("throughput"))
      suites.throughput = await suite("throughput at concurrency 16 and 64", async () => {
        /** @type {Record<string, unknown>} */
        const results = {};
        /** @type {Record<string, unknown>} */
        const derived = {};
        for (const c of [16, 64]) {
          const res = await rounds(
            targets.filter((t) => t.name !== "router-nolog"),
            c,
            { ...runOpts, rounds: CFG.tputRounds },
          );
          results[String(c)] = res;
          derived[String(c)] = {
            routerOverBare: diff(res, "router", "bare", "rps"),
            routerOverDirect: diff(res, "router", "direct", "rps"),
            apartOverBare: diff(res, "router-apart", "bare", "rps"),
            openOverBare: diff(res, "router-open", "bare", "rps"),
            ...(res.portkey
              ? {
                  routerOverPortkey: diff(res, "router", "portkey", "rps"),
                  apartOverPortkey: diff(res, "router-apart", "portkey", "rps"),
                  openOverPortkey: diff(res, "router-open", "portkey", "rps"),
                }
              : {}),
          };
        }
        return { results, derived };
      });

    if (want("slow"))
      suites.slowOrigin = await suite(
        "throughput at concurrency 64 with a 60 ms origin",
        async () => {
          const res = await rounds(
            [
              { name: "direct", url: origins.slowStable.url + PATH, body: slowBody },
              {
                name: "bare",
                url: bare.url + PATH,
                body: slowBody,
                headers: { [SLOW_HEADER]: "slow" },
              },
              { name: "router", url: router.url + PATH, body: slowBody },
            ],
            64,
            { ...runOpts, rounds: CFG.tputRounds, seconds: CFG.seconds + 1 },
          );
          return {
            results: res,
            derived: { routerOverDirect: diff(res, "router", "direct", "rps") },
          };
        },
      );

    if (want("streaming"))
      suites.streaming = await suite("streaming: 64 frames 20 ms apart", async () => {
        const res = /** @type {Record<string, Record<string, any>>} */ (
          await streaming(
            [
              { name: "direct", url: origins.stable.url + PATH, body: streamBody },
              { name: "bare", url: bare.url + PATH, body: streamBody },
              { name: "router", url: router.url + PATH, body: streamBody },
              { name: "router-nolog", url: nolog.url + PATH, body: streamBody },
              { name: "router-apart", url: apart.url + PATH, body: streamBody },
              { name: "router-open", url: apart.url + PATH, body: openStreamBody },
            ],
            {
              counts: CFG.streamCounts,
              rounds: CFG.streamRounds,
              frames: STREAM.chunks,
              intervalMs: STREAM.intervalMs,
              log,
            },
          )
        );
        /** @type {Record<string, unknown>} */
        const derived = {};
        for (const [c, r] of Object.entries(res))
          derived[c] = {
            ttft: paired(r.router.ttftP50.rounds, r.direct.ttftP50.rounds, (x, y) => x - y),
            gap: paired(r.router.gapP99.rounds, r.direct.gapP99.rounds, (x, y) => x - y),
            bareTtft: paired(r.bare.ttftP50.rounds, r.direct.ttftP50.rounds, (x, y) => x - y),
            bareGap: paired(r.bare.gapP99.rounds, r.direct.gapP99.rounds, (x, y) => x - y),
            nologTtft: paired(
              r["router-nolog"].ttftP50.rounds,
              r.direct.ttftP50.rounds,
              (x, y) => x - y,
            ),
            nologGap: paired(
              r["router-nolog"].gapP99.rounds,
              r.direct.gapP99.rounds,
              (x, y) => x - y,
            ),
            // Issue 15's targets, against the bare Worker: the router as on the platform
            // (consumer apart), with an origin key (scrubbing relay) and without (native relay).
            overBare: Object.fromEntries(
              ["router-apart", "router-open"].map((name) => [
                name,
                {
                  ttft: paired(r[name].ttftP50.rounds, r.bare.ttftP50.rounds, (x, y) => x - y),
                  gap: paired(r[name].gapP99.rounds, r.bare.gapP99.rounds, (x, y) => x - y),
                  mergedOverBare: r[name].mergedLate - r.bare.mergedLate,
                  frames: r[name].framesExpected,
                },
              ]),
            ),
            router: r.router,
            nolog: r["router-nolog"],
            bare: r.bare,
            direct: r.direct,
          };
        return { results: res, derived };
      });

    if (want("relay"))
      suites.relay = await suite("relay designs: CPU per frame and gaps", async () => {
        const { compatibilityDate, compatibilityFlags } = await projectWorkerOptions(ROOT);
        const w = await startWorker({
          name: "relays",
          scriptPath: relaysWorker,
          cpus: SUT_CPUS,
          options: {
            compatibilityDate,
            compatibilityFlags,
            bindings: { ORIGIN: origins.stable.url },
          },
        });
        try {
          const designs = /** @type {string[]} */ (
            await (await fetch(`${w.url}/__designs`)).json()
          );
          return {
            results: await relays({
              url: w.url + PATH,
              pid: w.pid,
              body: streamBody,
              designs,
              counts: CFG.streamCounts,
              rounds: CFG.streamRounds,
              frames: STREAM.chunks,
              intervalMs: STREAM.intervalMs,
              log,
            }),
          };
        } finally {
          await w.stop();
        }
      });

    if (want("cpu"))
      suites.cpu = await suite("CPU per request in workerd (from /proc)", async () => ({
        results: await cpuPerRequest(
          [
            ...targets.filter((t) => t.pid),
            { name: "bare-send", url: bareSend.url + PATH, body, pid: bareSend.pid },
          ],
          { ...runOpts, rounds: CFG.cpuRounds, settleMs: 3000 },
        ),
      }));

    // The HTTP targets are done: free their CPU for the D1-heavy suites.
    for (const s of stops.splice(0).reverse()) await s();

    if (want("ingest"))
      suites.ingest = await suite("ingest: queue consumer into local D1", async () => {
        const w = await startRouter({
          root: ROOT,
          bundle,
          origins,
          logging: true,
          cpus: SUT_CPUS,
          name: "ingest",
        });
        const base = await projectWorkerOptions(ROOT);
        const h = await startWorker({
          name: "ingest-harness",
          scriptPath: harness,
          cpus: SUT_CPUS,
          persist: join(work, "ingest-harness-state"),
          options: {
            compatibilityDate: base.compatibilityDate,
            compatibilityFlags: base.compatibilityFlags,
            d1Databases: { INGEST: "bench-ingest" },
          },
        });
        try {
          await migrate(h.mf, "INGEST", await migrationStatements(ROOT));
          const { syntheticOutcomes } = await import(traffic);
          return {
            results: await ingest({
              mf: w.mf,
              harnessUrl: h.url,
              harnessPid: h.pid,
              traffic: syntheticOutcomes,
              batches: CFG.ingestBatches,
              concurrency: [1, 4],
              rounds: CFG.ingestRounds,
              log,
            }),
          };
        } finally {
          await w.stop();
          await h.stop();
        }
      });

    if (want("analyzer"))
      suites.analyzer = await suite(
        "analyzer: readStep + decide per route, 24-hour window",
        async () => {
          const base = await projectWorkerOptions(ROOT);
          const dbs = [...CFG.sizes.map(dbName), "CHECK_A", "CHECK_B"];
          const w = await startWorker({
            name: "analyzer-harness",
            scriptPath: harness,
            cpus: SUT_CPUS,
            persist: join(work, "analyzer-state"),
            options: {
              compatibilityDate: base.compatibilityDate,
              compatibilityFlags: base.compatibilityFlags,
              d1Databases: Object.fromEntries(dbs.map((d) => [d, `bench-${d.toLowerCase()}`])),
            },
          });
          try {
            const statements = await migrationStatements(ROOT);
            for (const d of dbs) await migrate(w.mf, d, statements);
            return {
              results: await analyzer({
                url: w.url,
                sizes: CFG.sizes,
                check: CFG.check,
                slice: 25_000,
                repeats: CFG.repeats,
                budgetMs: QUICK ? 10_000 : 30_000,
                log,
              }),
            };
          } finally {
            await w.stop();
          }
        },
      );
  } finally {
    for (const s of stops.reverse()) await s().catch(() => {});
    await rm(work, { recursive: true, force: true });
  }

  const results = {
    startedAt,
    mode: QUICK ? "quick" : "full",
    wallSeconds: (performance.now() - wall0) / 1000,
    environment: env,
    load: { start: loadStart, end: load1() },
    pinning: pinning
      ? "Pinning: load generators (wrk, the stream client) and origins on CPU 0, the system under test (each workerd, Portkey's Node process) on CPU 1, with taskset."
      : "No CPU pinning (taskset unavailable, fewer than 2 CPUs, or --no-pin).",
    portkey: peer.portkey,
    notes,
    suites,
  };
  const md = markdown(results);
  const stamp = startedAt.replace(/[:.]/g, "-");
  const outDir = QUICK
    ? await mkdtemp(join(tmpdir(), "llm-canary-bench-quick-"))
    : join(ROOT, "bench", "results");
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, `${stamp}.json`), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(outDir, `${stamp}.md`), `# Benchmark ${startedAt}\n\n${md}\n`);
  if (!QUICK && ONLY === null) await updateReadme(md, `results/${stamp}.json`);
  log(`\n${md}\n\nresults: ${join(outDir, `${stamp}.json`)}`);
}

/**
 * Replaces the generated block of bench/README.md with the latest summary.
 * @param {string} md
 * @param {string} file
 */
async function updateReadme(md, file) {
  const path = join(ROOT, "bench", "README.md");
  const begin = "<!-- latest-run:begin -->";
  const end = "<!-- latest-run:end -->";
  let text = await readFile(path, "utf8").catch(() => `# Benchmarks\n\n${begin}\n${end}\n`);
  const block = `${begin}\n\n## Latest run\n\nFull results: [\`${file}\`](${file}).\n\n${md}\n\n${end}`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  text =
    i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text}\n${block}\n`;
  const prettier = await import("prettier");
  const options = (await prettier.resolveConfig(path)) ?? {};
  await writeFile(path, await prettier.format(text, { ...options, parser: "markdown" }));
}

/** `--report FILE`: the summary and README block again from a results file (no measuring). */
async function report(/** @type {string} */ file) {
  const results = JSON.parse(await readFile(file, "utf8"));
  const md = markdown(results);
  await writeFile(file.replace(/\.json$/, ".md"), `# Benchmark ${results.startedAt}\n\n${md}\n`);
  if (results.mode === "full") await updateReadme(md, `results/${file.split("/").pop()}`);
  log(md);
}

(args.report ? report(args.report) : main()).then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
