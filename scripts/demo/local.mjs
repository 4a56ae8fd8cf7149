// @ts-check
/**
 * The demo's plumbing around the local stack: ports, the stack (retried when
 * wrangler dev loses a port race), the demo's origins in their own process,
 * the load generator bundled from TypeScript, and the admin API calls its
 * progress comes from.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { build } from "esbuild";
import { LOCAL_VARS, ROOT, startStack } from "../stack.mjs";

const log = (/** @type {string} */ line) => console.log(line);

/** @returns {Promise<number>} */
export async function freePort() {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

/**
 * @typedef {{ runLoad: typeof import("../../cli/load/engine").runLoad }} DemoTools
 */

/** The load generator, bundled from TypeScript. */
export async function loadTools(/** @type {string} */ dir) {
  const outfile = join(dir, "demo-tools.mjs");
  await build({
    entryPoints: [join(ROOT, "cli", "load", "engine.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    logLevel: "warning",
  });
  /** @type {DemoTools} */
  const tools = await import(outfile);
  return tools;
}

/**
 * `startStack`, retried when wrangler dev lost a race for a port (two stacks
 * starting at once both pick the inspector's default port).
 * @param {Parameters<typeof startStack>[0]} opts
 * @returns {ReturnType<typeof startStack>}
 */
export async function startStackWithRetry(opts) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startStack(opts);
    } catch (e) {
      if (attempt >= 4 || !/Address already in use/.test(String(e))) throw e;
      log(`  wrangler dev lost a port race; retrying (${attempt}/3)`);
      await new Promise((r) => setTimeout(r, 2000 * attempt));
    }
  }
}

/**
 * Starts scripts/demo/origins.mjs in its own process.
 * @returns {Promise<{ front: string, moderation: string, stop: () => Promise<void> }>}
 */
export function startOrigins() {
  const child = spawn(process.execPath, [join(ROOT, "scripts", "demo", "origins.mjs")], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  };
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (b) => {
      out += String(b);
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve({ ...JSON.parse(line), stop });
    });
    child.once("exit", (code) => reject(new Error(`demo origins exited with ${code}`)));
  });
}

/**
 * @param {string} base
 * @param {string} path
 */
export async function admin(base, path) {
  const res = await fetch(`${base}/admin${path}`, {
    headers: { authorization: `Bearer ${LOCAL_VARS.ADMIN_TOKEN}` },
  });
  if (!res.ok) throw new Error(`GET /admin${path}: ${res.status} ${await res.text()}`);
  return /** @type {any} */ (await res.json());
}

/**
 * A key metric's value from a decision record: the ratio or difference
 * estimate of its verdict on the slice, or null.
 * @param {any} decision
 * @param {import("./scenarios.mjs").KeyMetric} m
 */
export function keyValue(decision, m) {
  const verdicts = /** @type {any[]} */ (decision?.record?.verdicts ?? []);
  const v = verdicts.find(
    (x) =>
      x.metric === m.metric &&
      x.slice?.dim === m.dim &&
      (m.value === undefined || x.slice?.value === m.value),
  );
  return typeof v?.effect?.estimate === "number" ? v.effect.estimate : null;
}

/**
 * Resolves once the analyzer's window of every route holds both arms.
 * @param {string} base
 * @param {string[]} routeIds
 */
export async function waitForData(base, routeIds) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const { routes } = await admin(base, "/metrics");
    const ready = routeIds.every((id) => {
      const r = routes?.find((/** @type {any} */ x) => x.routeId === id);
      const all = r?.slices?.find((/** @type {any} */ s) => s.dim === "all");
      return all?.stable?.requests > 0 && all?.canary?.requests > 0;
    });
    if (ready) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error("no outcomes reached D1 within 60 s");
}
