// @ts-check
/**
 * A bounded soak of the whole local stack (issue 7, row 24): simulated
 * origins, `wrangler dev` with local KV, D1 and Queues, all on 127.0.0.1.
 * Mixed streaming and non-streaming traffic at a fixed rate reaches both
 * variants, the analyzer runs every minute, and afterwards the run is judged
 * on three promises:
 *
 * - 0 client errors (every answer a 200 that ends properly: a JSON
 *   completion, or a stream that ends with `[DONE]` and no error event);
 * - 0 lost outcomes: every request id a client saw has exactly one row in
 *   D1 (read with `wrangler d1 execute --local`), and no row is extra;
 * - the memory of the workerd process that runs the Worker (RSS from
 *   /proc) flat within 10% after warm-up: the median of the last third of
 *   the samples after warm-up against the median of the first third.
 *
 * `wrangler dev` starts two workerd processes: the Worker's (the one with an
 * inspector) and its own dev proxy in front of it. Both are sampled and
 * reported; only the Worker's is judged. Under `wrangler dev` the Worker's
 * process grows for its first few minutes at 20 requests/s before it levels
 * off (see docs/reliability.md), so the warm-up is half the run, and memory
 * is judged only when at least 2 minutes of samples follow the warm-up.
 *
 * It writes `soak-<duration>s.json` and `.md` to the output directory and
 * exits non-zero when a promise is broken.
 *
 *   node scripts/soak.mjs                       # 5 minutes, report in bench/soak/
 *   node scripts/soak.mjs --duration-s 600      # 10 minutes: more margin for memory
 *   node scripts/soak.mjs --duration-s 60 --rate 10 --out /tmp/soak
 *
 * `test/resilience/soak.test.ts` runs a 20-second version inside `npm test`.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { LOCAL_VARS, ROOT, startStack } from "./stack.mjs";
import { isEntryPoint } from "../sim/entry.mjs";

const run = promisify(execFile);
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");

/** Memory is judged only when at least this much of the run follows the warm-up. */
export const MIN_MEMORY_WINDOW_S = 120;

/**
 * @typedef {object} SoakOptions
 * @property {number} [durationS] Seconds of traffic (default 300).
 * @property {number} [rate] Requests per second (default 20).
 * @property {number} [cronEveryS] Seconds between analyzer runs (default 60).
 * @property {number} [warmupS] Seconds before memory counts (default: half the run).
 * @property {number} [sampleEveryS] Seconds between memory samples (default 5).
 * @property {number} [maxInFlight] Concurrent requests at most (default 64).
 * @property {string} [out] Directory for the report; none is written when absent.
 * @property {(line: string) => void} [log]
 */

/**
 * @typedef {object} SoakReport
 * @property {string} startedAt
 * @property {Required<Omit<SoakOptions, "out" | "log">>} options
 * @property {string[]} devServerLog The last lines `wrangler dev` printed, when requests failed
 * @property {{ sent: number, ok: number, clientErrors: number, errorSamples: string[],
 *   byVariant: Record<string, number>, streams: number, p50Ms: number, p99Ms: number }} requests
 * @property {{ rows: number, lost: number, extra: number, droppedAtEdge: number | null, drainMs: number }} outcomes
 * @property {{ runs: number, triggered: number, decisions: Record<string, number> }} analyzer
 * @property {{ pids: number[], workerPid: number, samples: Array<{ t: number, rssMb: number,
 *   byPid: number[] }>, judged: boolean, baselineMb: number, finalMb: number, growth: number,
 *   minMb: number, maxMb: number }} memory `rssMb` is the Worker's process; `byPid` all of them
 * @property {{ clientErrors: boolean, lostOutcomes: boolean, memoryFlat: boolean | null,
 *   bothVariants: boolean, analyzerRan: boolean }} passed `memoryFlat` is null when not judged
 * @property {boolean} ok
 */

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => done(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The soak's routing config: both variants at 50% on identical origins, under
 * a rollout whose first step lasts at least 10 minutes (so the analyzer judges
 * and holds; at the 10-minute mark it may advance to 100%).
 * @param {string} stableUrl
 * @param {string} canaryUrl
 */
export function soakConfig(stableUrl, canaryUrl) {
  const now = new Date().toISOString();
  return {
    version: 1,
    // The soak counts every outcome: nothing is sampled.
    settings: { logging: { canaryShare: 100, minRate: 1 } },
    routes: [
      {
        id: "chat",
        models: ["gpt-4o-mini"],
        stable: {
          id: "soak-stable",
          originUrl: stableUrl,
          model: "sim-model-stable",
          apiKeySecret: "STABLE_API_KEY",
        },
        canary: {
          id: "soak-canary",
          originUrl: canaryUrl,
          model: "sim-model-canary",
          apiKeySecret: "CANARY_API_KEY",
        },
        weight: 50,
        rollout: { steps: [50, 100], stepIndex: 0, stepStartedAt: now, startedAt: now },
        policy: { minStepDurationMs: 600_000 },
      },
    ],
  };
}

/**
 * Processes below `root` (children, grandchildren, ...).
 * @param {number} root
 * @returns {Promise<Array<{ pid: number, comm: string }>>}
 */
export async function descendants(root) {
  /** @type {Map<number, Array<{ pid: number, comm: string }>>} */
  const children = new Map();
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, "utf8").catch(() => null);
    if (!stat) continue;
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const ppid = Number(stat.slice(close + 2).split(" ")[1]);
    const list = children.get(ppid) ?? [];
    list.push({ pid: Number(name), comm });
    children.set(ppid, list);
  }
  /** @type {Array<{ pid: number, comm: string }>} */
  const out = [];
  const stack = [root];
  while (stack.length > 0) {
    for (const child of children.get(/** @type {number} */ (stack.pop())) ?? []) {
      out.push(child);
      stack.push(child.pid);
    }
  }
  return out;
}

/**
 * The workerd process that runs the Worker: the one with an inspector
 * (`wrangler dev`'s own proxy has none), or null when that cannot be told.
 * @param {number[]} pids
 */
async function workerProcess(pids) {
  for (const pid of pids) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes("--inspector-addr")) return pid;
  }
  return null;
}

/**
 * Resident memory of a process in MB, or null when it is gone.
 * @param {number} pid
 */
async function rssMb(pid) {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => null);
  const m = status ? /^VmRSS:\s+(\d+)\s+kB/m.exec(status) : null;
  return m ? Number(m[1]) / 1024 : null;
}

/**
 * Rows of a SQL query against a stack's local D1 (`wrangler d1 execute --local`).
 * @param {string} stateDir
 * @param {string} sql
 * @returns {Promise<Array<Record<string, unknown>>>}
 */
export async function localD1(stateDir, sql) {
  const args = [
    "d1",
    "execute",
    "DB",
    "--local",
    "--persist-to",
    stateDir,
    "--json",
    "--command",
    sql,
  ];
  const opts = {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" },
  };
  // The dev server holds the same SQLite file: a read can meet it mid-write.
  const attempt = async (/** @type {number} */ left) => {
    try {
      return await run(WRANGLER, args, opts);
    } catch (e) {
      if (left <= 0 || !/SQLITE_BUSY/.test(String(e))) throw e;
      await new Promise((r) => setTimeout(r, 500));
      return attempt(left - 1);
    }
  };
  const { stdout } = await attempt(5);
  const parsed = /** @type {Array<{ results: Array<Record<string, unknown>> }>} */ (
    JSON.parse(stdout)
  );
  return parsed[0]?.results ?? [];
}

/** @param {number[]} xs */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : (s[Math.floor((s.length - 1) / 2)] ?? 0);
}

/**
 * @param {number[]} xs
 * @param {number} q
 */
function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : (s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0);
}

/**
 * One client request; resolves with what the client saw.
 * @param {string} url
 * @param {number} i
 * @returns {Promise<{ ok: boolean, id: string | null, variant: string | null, stream: boolean,
 *   ms: number, problem: string | null }>}
 */
async function oneRequest(url, i) {
  const stream = i % 2 === 1;
  const started = performance.now();
  try {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-canary-user": `soak-user-${(i * 7919) % 500}`,
      },
      body: JSON.stringify({
        model: "gpt-4o-mini",
        stream,
        messages: [{ role: "user", content: `Soak request ${i}: say something short.` }],
      }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    const id = res.headers.get("x-request-id");
    const variant = res.headers.get("x-canary-variant");
    const ms = performance.now() - started;
    let problem = null;
    if (res.status !== 200) problem = `status ${res.status}: ${text.slice(0, 200)}`;
    else if (stream && (!text.trimEnd().endsWith("data: [DONE]") || text.includes("event: error")))
      problem = `stream did not complete: ${text.slice(-200)}`;
    else if (!stream) {
      try {
        const body = /** @type {{ choices?: Array<{ message?: { content?: unknown } }> }} */ (
          JSON.parse(text)
        );
        if (typeof body.choices?.[0]?.message?.content !== "string") problem = "no completion";
      } catch {
        problem = `not JSON: ${text.slice(0, 200)}`;
      }
    }
    return { ok: problem === null, id, variant, stream, ms, problem };
  } catch (e) {
    const ms = performance.now() - started;
    return { ok: false, id: null, variant: null, stream, ms, problem: String(e) };
  }
}

/**
 * Runs the soak and returns its report (and writes it when `out` is set).
 * @param {SoakOptions} [opts]
 * @returns {Promise<SoakReport>}
 */
export async function runSoak(opts = {}) {
  const durationS = opts.durationS ?? 300;
  const options = {
    durationS,
    rate: opts.rate ?? 20,
    cronEveryS: opts.cronEveryS ?? 60,
    warmupS: opts.warmupS ?? Math.round(durationS / 2),
    sampleEveryS: opts.sampleEveryS ?? 5,
    maxInFlight: opts.maxInFlight ?? 64,
  };
  const log = opts.log ?? (() => {});
  const stateDir = await mkdtemp(join(tmpdir(), "llm-canary-soak-"));
  const [port, stablePort, canaryPort] = [await freePort(), await freePort(), await freePort()];
  const origin = { latencyMs: 20, ttftMs: 20, chunkIntervalMs: 10, chunks: 8 };
  const startedAt = new Date().toISOString();
  // `wrangler dev` reloads the Worker (and fails the requests in flight with a
  // 503) when its dev registry changes, e.g. when another local stack starts
  // or stops: give this stack a registry of its own.
  const registry = process.env.WRANGLER_REGISTRY_PATH;
  process.env.WRANGLER_REGISTRY_PATH = join(stateDir, "registry");
  const stack = await startStack({
    port,
    stateDir,
    stablePort,
    canaryPort,
    stable: origin,
    canary: origin,
    cron: false,
    config: soakConfig(`http://127.0.0.1:${stablePort}`, `http://127.0.0.1:${canaryPort}`),
    log,
  }).finally(() => {
    if (registry === undefined) delete process.env.WRANGLER_REGISTRY_PATH;
    else process.env.WRANGLER_REGISTRY_PATH = registry;
  });
  try {
    const workerd = (await descendants(process.pid)).filter((p) => p.comm === "workerd");
    if (workerd.length === 0) throw new Error("no workerd process found below this process");
    const pids = workerd.map((p) => p.pid);
    const workerPid = (await workerProcess(pids)) ?? pids[0] ?? 0;
    log(`edge ${stack.url}, workerd pids ${pids.join(", ")} (the Worker's: ${workerPid})`);

    /** @type {Array<{ t: number, rssMb: number, byPid: number[] }>} */
    const samples = [];
    const t0 = performance.now();
    const elapsedS = () => (performance.now() - t0) / 1000;
    const sample = async () => {
      const byPid = (await Promise.all(pids.map(rssMb))).map((v) => Math.round((v ?? 0) * 10) / 10);
      const rss = byPid[pids.indexOf(workerPid)] ?? 0;
      samples.push({ t: Math.round(elapsedS() * 10) / 10, rssMb: rss, byPid });
    };
    await sample();
    const sampler = setInterval(() => void sample(), options.sampleEveryS * 1000);
    /** @type {Promise<void>[]} */
    const cronRuns = [];
    const cron = setInterval(() => {
      cronRuns.push(stack.runCron());
    }, options.cronEveryS * 1000);

    /** @type {Array<Awaited<ReturnType<typeof oneRequest>>>} */
    const results = [];
    /** @type {Set<Promise<void>>} */
    const inFlight = new Set();
    const total = Math.round(options.durationS * options.rate);
    for (let i = 0; i < total; i++) {
      const due = t0 + (i / options.rate) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      while (inFlight.size >= options.maxInFlight) await Promise.race(inFlight);
      const p = oneRequest(stack.url, i).then((r) => {
        results.push(r);
        inFlight.delete(p);
      });
      inFlight.add(p);
      if (i > 0 && i % (options.rate * 30) === 0) log(`${Math.round(elapsedS())} s: ${i} sent`);
    }
    await Promise.all(inFlight);
    clearInterval(cron);
    await Promise.all(cronRuns);
    const triggered = cronRuns.length;
    clearInterval(sampler);
    await sample();
    log(`traffic done after ${Math.round(elapsedS())} s; waiting for outcomes`);

    const ids = new Set(results.flatMap((r) => (r.id ? [r.id] : [])));
    const drainStart = performance.now();
    let rows = 0;
    while (performance.now() - drainStart < 90_000) {
      const [row] = await localD1(stateDir, "select count(*) as n from outcomes");
      rows = Number(row?.n ?? 0);
      if (rows >= ids.size) break;
      await sleep(2_000);
    }
    const drainMs = Math.round(performance.now() - drainStart);
    const stored = new Set(
      (await localD1(stateDir, "select request_id from outcomes")).map((r) => String(r.request_id)),
    );
    const lost = [...ids].filter((id) => !stored.has(id)).length;
    const extra = [...stored].filter((id) => !ids.has(id)).length;

    const metrics = await fetch(`${stack.url}/metrics`, {
      headers: { authorization: `Bearer ${LOCAL_VARS.ADMIN_TOKEN}` },
    })
      .then((r) => r.text())
      .catch(() => "");
    const droppedLine = metrics
      .split("\n")
      .find((l) => l.startsWith("llm_canary_outcomes_dropped_total"));
    const runs = await localD1(stateDir, "select status from analyzer_runs");
    const decisions = await localD1(
      stateDir,
      "select action, count(*) as n from decisions group by action",
    );

    const judged = options.durationS - options.warmupS >= MIN_MEMORY_WINDOW_S;
    const post = samples.filter((s) => s.t >= options.warmupS).map((s) => s.rssMb);
    const third = Math.max(1, Math.floor(post.length / 3));
    const baselineMb = median(post.slice(0, third));
    const finalMb = median(post.slice(-third));
    const growth = baselineMb > 0 ? finalMb / baselineMb - 1 : 0;

    /** @type {Record<string, number>} */
    const byVariant = {};
    for (const r of results) {
      const key = r.variant ?? "none";
      byVariant[key] = (byVariant[key] ?? 0) + 1;
    }
    const failures = results.filter((r) => !r.ok);
    const latencies = results.map((r) => r.ms);
    /** @type {SoakReport["passed"]} */
    const passed = {
      clientErrors: failures.length === 0,
      lostOutcomes: lost === 0 && extra === 0 && ids.size === results.length,
      memoryFlat: judged ? Math.abs(growth) <= 0.1 : null,
      bothVariants: (byVariant.stable ?? 0) > 0 && (byVariant.canary ?? 0) > 0,
      analyzerRan: triggered > 0 && runs.filter((r) => r.status === "ok").length === triggered,
    };
    /** @type {SoakReport} */
    const report = {
      startedAt,
      options,
      devServerLog: failures.length > 0 ? stack.output.slice(-40) : [],
      requests: {
        sent: results.length,
        ok: results.length - failures.length,
        clientErrors: failures.length,
        errorSamples: failures.slice(0, 10).map((f) => f.problem ?? "unknown"),
        byVariant,
        streams: results.filter((r) => r.stream).length,
        p50Ms: Math.round(quantile(latencies, 0.5)),
        p99Ms: Math.round(quantile(latencies, 0.99)),
      },
      outcomes: {
        rows: stored.size,
        lost,
        extra,
        droppedAtEdge: droppedLine ? Number(droppedLine.split(" ").at(-1)) : null,
        drainMs,
      },
      analyzer: {
        runs: runs.length,
        triggered,
        decisions: Object.fromEntries(decisions.map((d) => [String(d.action), Number(d.n)])),
      },
      memory: {
        pids,
        workerPid,
        samples,
        judged,
        baselineMb,
        finalMb,
        growth: Math.round(growth * 10_000) / 10_000,
        minMb: Math.min(...post),
        maxMb: Math.max(...post),
      },
      passed,
      ok: Object.values(passed).every((p) => p !== false),
    };
    if (opts.out) await writeReport(opts.out, report);
    return report;
  } finally {
    await stack.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

/**
 * @param {string} dir
 * @param {SoakReport} r
 */
async function writeReport(dir, r) {
  await mkdir(dir, { recursive: true });
  const base = join(dir, `soak-${r.options.durationS}s`);
  await writeFile(`${base}.json`, await formatted(`${base}.json`, JSON.stringify(r, null, 2)));
  await writeFile(`${base}.md`, await formatted(`${base}.md`, markdown(r)));
}

/**
 * The text as the repository's Prettier would write it, so a report can be
 * committed as it is.
 * @param {string} file
 * @param {string} text
 */
async function formatted(file, text) {
  const prettier = await import("prettier");
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(text, { ...options, filepath: file });
}

/** @param {boolean | null} ok */
const mark = (ok) => (ok === null ? "not judged" : ok ? "yes" : "**NO**");

/**
 * @param {SoakReport} r
 * @returns {string}
 */
export function markdown(r) {
  const o = r.options;
  const pct = (/** @type {number} */ x) => `${(x * 100).toFixed(1)}%`;
  const lines = [
    `# Soak: ${o.durationS} s on 127.0.0.1`,
    "",
    `Started ${r.startedAt}. ${o.rate} requests/s (half streamed), both variants at 50%, the`,
    `analyzer every ${o.cronEveryS} s, memory sampled every ${o.sampleEveryS} s, warm-up ${o.warmupS} s.`,
    `Produced by \`node scripts/soak.mjs\` (see docs/reliability.md).`,
    "",
    "| promise | result | held |",
    "| --- | --- | --- |",
    `| 0 client errors | ${r.requests.clientErrors} of ${r.requests.sent} requests failed | ${mark(r.passed.clientErrors)} |`,
    `| 0 lost outcomes | ${r.outcomes.rows} rows for ${r.requests.sent} requests: ${r.outcomes.lost} lost, ${r.outcomes.extra} extra | ${mark(r.passed.lostOutcomes)} |`,
    `| the Worker's workerd memory flat within 10% after warm-up | ${
      r.memory.judged
        ? `${r.memory.baselineMb.toFixed(1)} MB → ${r.memory.finalMb.toFixed(1)} MB (${pct(r.memory.growth)})`
        : `under ${MIN_MEMORY_WINDOW_S} s after warm-up: ${r.memory.baselineMb.toFixed(1)} MB → ${r.memory.finalMb.toFixed(1)} MB`
    } | ${mark(r.passed.memoryFlat)} |`,
    `| both variants served | ${Object.entries(r.requests.byVariant)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")} | ${mark(r.passed.bothVariants)} |`,
    `| analyzer ran every ${o.cronEveryS} s | ${r.analyzer.runs} runs (${r.analyzer.triggered} triggered) | ${mark(r.passed.analyzerRan)} |`,
    "",
    `Client latency p50 ${r.requests.p50Ms} ms, p99 ${r.requests.p99Ms} ms. Outcomes dropped at the`,
    `edge (\`llm_canary_outcomes_dropped_total\`): ${r.outcomes.droppedAtEdge ?? "n/a"}. D1 had every row`,
    `${(r.outcomes.drainMs / 1000).toFixed(1)} s after the last response. Analyzer decisions: ${
      Object.entries(r.analyzer.decisions)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ") || "none"
    }.`,
    "",
    `RSS of the Worker's workerd (pid ${r.memory.workerPid}) after warm-up: min ${r.memory.minMb.toFixed(1)} MB,`,
    `max ${r.memory.maxMb.toFixed(1)} MB; baseline and final are the medians of the first and last thirds`,
    "of the samples after warm-up. The other pid is `wrangler dev`'s own proxy (reported, not judged).",
    "",
    `| t (s) | RSS (MB) | ${r.memory.pids.map((p) => `pid ${p}`).join(" | ")} |`,
    `| ---: | ---: | ${r.memory.pids.map(() => "---:").join(" | ")} |`,
    ...r.memory.samples.map((s) => `| ${s.t} | ${s.rssMb} | ${s.byPid.join(" | ")} |`),
    "",
  ];
  if (r.requests.errorSamples.length > 0) {
    lines.push("Failed requests (first 10):", "", ...r.requests.errorSamples.map((e) => `- ${e}`));
    lines.push(
      "",
      "The last lines `wrangler dev` printed:",
      "",
      "```",
      ...r.devServerLog,
      "```",
      "",
    );
  }
  return lines.join("\n");
}

/**
 * @param {string[]} argv
 * @returns {SoakOptions}
 */
function parseArgs(argv) {
  /** @type {Record<string, string>} */
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (!a.startsWith("--")) throw new Error(`unexpected argument ${a}`);
    const [k, v] = a.includes("=") ? a.slice(2).split("=", 2) : [a.slice(2), argv[++i]];
    if (v === undefined) throw new Error(`--${k} needs a value`);
    flags[k ?? ""] = v;
  }
  /** @param {string} k */
  const num = (k) => {
    if (flags[k] === undefined) return undefined;
    const n = Number(flags[k]);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${k} must be a positive number`);
    return n;
  };
  const known = ["duration-s", "rate", "cron-every-s", "warmup-s", "sample-every-s", "out"];
  for (const k of Object.keys(flags)) if (!known.includes(k)) throw new Error(`unknown --${k}`);
  return {
    durationS: num("duration-s"),
    rate: num("rate"),
    cronEveryS: num("cron-every-s"),
    warmupS: num("warmup-s"),
    sampleEveryS: num("sample-every-s"),
    out: resolve(flags.out ?? join(ROOT, "bench", "soak")),
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const report = await runSoak({ ...opts, log: (l) => console.log(`[soak] ${l}`) });
  console.log(markdown(report).split("\n").slice(0, 14).join("\n"));
  console.log(`[soak] report written to ${opts.out}`);
  process.exitCode = report.ok ? 0 : 1;
}

if (isEntryPoint(import.meta.url)) {
  main().catch((e) => {
    console.error(`[soak] ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exitCode = 1;
  });
}
