// @ts-check
/**
 * The whole system on one machine: two simulated origins, local D1 with
 * migrations applied, the example routing config seeded into local KV, and
 * `wrangler dev` serving the Worker with local KV, D1, Queues and cron.
 * Used by `npm start`, the end-to-end tests, the demo and the benchmarks.
 */
import { spawn, execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { startOrigin } from "../sim/origin.mjs";

const run = promisify(execFile);
export const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");

/** Local-only secrets and vars; production uses `wrangler secret put`. */
export const LOCAL_VARS = {
  ALLOW_GEO_OVERRIDE: "true",
  STABLE_API_KEY: "sk-local-stable-origin-key",
  CANARY_API_KEY: "sk-local-canary-origin-key",
  ADMIN_TOKEN: "local-admin-token-change-me",
  FEEDBACK_SIGNING_KEY: "local-feedback-signing-key-change-me",
};

/**
 * @param {string[]} args
 * @param {string} stateDir
 */
async function wrangler(args, stateDir) {
  const { stdout } = await run(WRANGLER, [...args, "--local", "--persist-to", stateDir], {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

/**
 * The example config with its origins pointed at the given URLs, and every
 * rollout starting at `now`: the file's dates are placeholders, and a rollout
 * seeded with an old date would be older than `maxRolloutDurationMs` before
 * its first request.
 * @param {string} stableUrl
 * @param {string} canaryUrl
 * @param {number} [now] epoch ms
 */
export async function exampleConfig(stableUrl, canaryUrl, now = Date.now()) {
  const text = await readFile(join(ROOT, "config", "routing.example.json"), "utf8");
  const config = JSON.parse(
    text
      .replaceAll("http://127.0.0.1:8701", stableUrl)
      .replaceAll("http://127.0.0.1:8702", canaryUrl),
  );
  const at = new Date(now).toISOString();
  for (const route of config.routes) {
    if (route.rollout) route.rollout = { ...route.rollout, startedAt: at, stepStartedAt: at };
  }
  return config;
}

/**
 * The routing config already in local KV, or null when there is none.
 * @param {string} stateDir
 * @returns {Promise<{ version?: number } | null>}
 */
export async function localConfig(stateDir) {
  try {
    const text = await wrangler(
      ["kv", "key", "get", "config:routing", "--binding", "CONFIG", "--text"],
      stateDir,
    );
    return text.trim() ? JSON.parse(text) : null;
  } catch {
    return null; // wrangler exits non-zero when the key does not exist
  }
}

/**
 * Writes a routing config straight into local KV (as an operator's
 * `wrangler kv key put` would).
 * @param {string} stateDir
 * @param {unknown} config
 */
export async function putLocalConfig(stateDir, config) {
  const file = join(stateDir, "routing-config.json");
  await writeFile(file, JSON.stringify(config, null, 2));
  await wrangler(
    ["kv", "key", "put", "config:routing", "--binding", "CONFIG", "--path", file],
    stateDir,
  );
}

/**
 * @param {{ port?: number, stateDir?: string, stablePort?: number, canaryPort?: number,
 *   stable?: Record<string, unknown>, canary?: Record<string, unknown>, config?: unknown,
 *   cron?: boolean, log?: (line: string) => void, vars?: Record<string, string> }} [opts]
 */
export async function startStack(opts = {}) {
  const log = opts.log ?? (() => {});
  const stateDir = resolve(opts.stateDir ?? join(ROOT, ".state"));
  await mkdir(stateDir, { recursive: true });
  const stable = await startOrigin({ port: opts.stablePort ?? 0, name: "stable", ...opts.stable });
  const canary = await startOrigin({ port: opts.canaryPort ?? 0, name: "canary", ...opts.canary });
  log(`simulated origins: stable ${stable.url}, canary ${canary.url}`);

  await wrangler(["d1", "migrations", "apply", "DB"], stateDir);
  log("local D1 migrations applied");
  // A restart on existing state keeps the rollout in progress; only an explicit
  // `opts.config` or an empty KV is (re)seeded.
  const existing = opts.config === undefined ? await localConfig(stateDir) : null;
  if (existing) {
    log(`keeping the routing config in local KV (version ${existing.version ?? "?"})`);
  } else {
    const config = opts.config ?? (await exampleConfig(stable.url, canary.url));
    await putLocalConfig(stateDir, config);
    log("routing config seeded into local KV (key config:routing)");
  }

  const port = opts.port ?? 8787;
  const vars = { ...LOCAL_VARS, ...opts.vars };
  const args = [
    "dev",
    "--local",
    "--persist-to",
    stateDir,
    "--port",
    String(port),
    "--ip",
    "127.0.0.1",
  ];
  args.push("--test-scheduled", "--show-interactive-dev-session=false");
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  const child = spawn(WRANGLER, args, {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  /** @type {string[]} */
  const output = [];
  const collect = (/** @type {Buffer} */ b) => {
    for (const line of b.toString().split("\n")) if (line.trim()) output.push(line);
    if (output.length > 2000) output.splice(0, output.length - 2000);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url, child, output);
  log(`edge listening on ${url}`);

  /** @type {NodeJS.Timeout | null} */
  let cronTimer = null;
  const runCron = async () => {
    const res = await fetch(`${url}/__scheduled?cron=${encodeURIComponent("* * * * *")}`).catch(
      (e) => e,
    );
    if (res instanceof Error) log(`analyzer run failed: ${res.message}`);
  };
  if (opts.cron !== false) cronTimer = setInterval(runCron, 60_000);

  return {
    url,
    stateDir,
    stable,
    canary,
    output,
    /** Triggers the analyzer once, as the cron would. */
    runCron,
    async stop() {
      if (cronTimer) clearInterval(cronTimer);
      await killTree(child);
      await stable.close();
      await canary.close();
    },
  };
}

/**
 * @param {string} url
 * @param {import("node:child_process").ChildProcess} child
 * @param {string[]} output
 */
async function waitForHealth(url, child, output) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited:\n${output.join("\n")}`);
    const ok = await fetch(`${url}/healthz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  await killTree(child);
  throw new Error(`wrangler dev did not become healthy in 60 s:\n${output.join("\n")}`);
}

/** @param {import("node:child_process").ChildProcess} child */
async function killTree(child) {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((r) => child.once("exit", r));
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    child.kill("SIGTERM");
  }
  const timeout = new Promise((r) => setTimeout(r, 5_000, "timeout"));
  if ((await Promise.race([exited, timeout])) === "timeout") {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
}
