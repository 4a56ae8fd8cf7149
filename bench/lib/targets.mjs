// @ts-check
/**
 * The systems under test, each in its own process so it can be pinned and
 * its CPU time read:
 *
 * - origins: simulated OpenAI-compatible origins (sim/origin.mjs), a
 *   zero-delay pair (stable, canary) and a 60 ms pair; streams are 64 chunks
 *   20 ms apart;
 * - router: the Worker bundle in workerd with its real KV (the config),
 *   Queues and D1 (outcome logging on); router-nolog: the same with
 *   OUTCOME_LOGGING="off";
 * - bare: a pass-through Worker in the same runtime, the floor;
 * - portkey: Portkey's open-source gateway on Node, when it can be installed
 *   and started (its absence is recorded, not fatal).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { spawnReady } from "./procs.mjs";
import { migrate, migrationStatements, projectWorkerOptions, startWorker } from "./workerd.mjs";

const run = promisify(execFile);

/** Streams the origins send: 64 content chunks, 20 ms apart. */
export const STREAM = { chunks: 64, intervalMs: 20 };
export const MODEL = "bench-model";
export const SLOW_MODEL = "bench-slow";
/** A model whose releases get no origin key: the router relays it natively (no masking needed). */
export const OPEN_MODEL = "bench-open";
/** Header the pass-through Worker reads to pick the 60 ms origin. */
export const SLOW_HEADER = "x-bench-origin";

/**
 * @param {string} root
 * @param {string} name
 * @param {number} latencyMs
 * @param {string | null} cpus
 */
async function origin(root, name, latencyMs, cpus) {
  const child = await spawnReady(
    process.execPath,
    [
      join(root, "sim", "origin.mjs"),
      "--port",
      "0",
      "--name",
      name,
      "--latency-ms",
      String(latencyMs),
      "--chunks",
      String(STREAM.chunks),
      "--chunk-interval-ms",
      String(STREAM.intervalMs),
    ],
    { cwd: root, ready: /listening on (http:\S+)/, cpus },
  );
  return { url: /** @type {string} */ (child.match[1]), pid: child.pid, stop: child.stop };
}

/**
 * @param {string} root
 * @param {string | null} cpus
 */
export async function startOrigins(root, cpus) {
  const [stable, canary, slowStable, slowCanary] = await Promise.all([
    origin(root, "stable", 0, cpus),
    origin(root, "canary", 0, cpus),
    origin(root, "stable-60ms", 60, cpus),
    origin(root, "canary-60ms", 60, cpus),
  ]);
  return {
    stable,
    canary,
    slowStable,
    slowCanary,
    stop: async () => {
      await Promise.all([stable, canary, slowStable, slowCanary].map((o) => o.stop()));
    },
  };
}

/** @typedef {Awaited<ReturnType<typeof startOrigins>>} Origins */

/**
 * The routing config: every model split 95/5 between a stable and a canary
 * origin, as the Portkey config does; `bench-open`'s releases carry no origin
 * key (the router's native relay), the others do (its scrubbing relay).
 * @param {Origins} o
 */
export function routingConfig(o) {
  /** @param {string} id @param {string} model @param {string} stable @param {string} canary @param {boolean} [keys] */
  const route = (id, model, stable, canary, keys = true) => ({
    id,
    models: [model],
    stable: {
      id: `${id}-stable`,
      originUrl: stable,
      model: "m-stable",
      ...(keys ? { apiKeySecret: "STABLE_API_KEY" } : {}),
    },
    canary: {
      id: `${id}-canary`,
      originUrl: canary,
      model: "m-canary",
      ...(keys ? { apiKeySecret: "CANARY_API_KEY" } : {}),
    },
    weight: 5,
    segments: [],
    state: "active",
  });
  return {
    version: 1,
    routes: [
      route("bench", MODEL, o.stable.url, o.canary.url),
      route("bench-slow", SLOW_MODEL, o.slowStable.url, o.slowCanary.url),
      route("bench-open", OPEN_MODEL, o.stable.url, o.canary.url, false),
    ],
  };
}

/**
 * The router in workerd: the deploy bundle, wrangler.toml's bindings, local
 * KV holding the config, D1 with the migrations applied.
 * @param {{ root: string, bundle: string, origins: Origins, logging: boolean,
 *   consumer?: boolean, cpus: string | null, name: string, options?: Record<string, unknown> }} o
 *   `consumer: false`: the queues keep their producers but this process runs no
 *   consumer, as on the platform, where the consumer is an invocation of its own
 *   (its cost is measured apart, by the ingest suite); `options`: more Miniflare
 *   worker options (e.g. an inspector port)
 */
export async function startRouter(o) {
  const base = await projectWorkerOptions(o.root);
  const w = await startWorker({
    name: o.name,
    scriptPath: o.bundle,
    cpus: o.cpus,
    options: {
      ...base,
      bindings: {
        ...base.bindings,
        STABLE_API_KEY: "sk-bench-stable",
        CANARY_API_KEY: "sk-bench-canary",
        ...(o.logging ? {} : { OUTCOME_LOGGING: "off" }),
      },
      ...(o.consumer === false ? { queueConsumers: {} } : {}),
      ...o.options,
    },
  });
  await migrate(w.mf, "DB", await migrationStatements(o.root));
  const kv = await w.mf.getKVNamespace("CONFIG");
  await kv.put("config:routing", JSON.stringify(routingConfig(o.origins)));
  return w;
}

/**
 * `send: true` ("bare-send"): the same pass-through Worker also sends one
 * outcome-sized message per request to a local queue with no consumer, as
 * router-apart does; its CPU over bare's is what Miniflare's local queue
 * broker (platform work on Cloudflare) adds to every logging router here.
 * @param {{ root: string, origins: Origins, cpus: string | null, send?: boolean }} o
 */
export async function startBare(o) {
  // The router's compatibility date and flags, so runtime features (such as
  // nodejs_compat's AsyncLocalStorage) cost both the same.
  const { compatibilityDate, compatibilityFlags } = await projectWorkerOptions(o.root);
  return startWorker({
    name: o.send ? "bare-send" : "bare",
    scriptPath: join(o.root, "bench", "workers", "passthrough.mjs"),
    cpus: o.cpus,
    options: {
      compatibilityDate,
      compatibilityFlags,
      bindings: { ORIGIN: o.origins.stable.url, ORIGIN_SLOW: o.origins.slowStable.url },
      ...(o.send ? { queueProducers: { SINK: { queueName: "bench-sink" } } } : {}),
    },
  });
}

/**
 * Installs (once, under bench/peers, gitignored) and starts Portkey's gateway.
 * @param {{ root: string, cpus: string | null, log: (s: string) => void }} o
 * @returns {Promise<{ url: string, pid: number, version: string | null, stop: () => Promise<void> } | { error: string }>}
 */
export async function startPortkey(o) {
  const peers = join(o.root, "bench", "peers");
  const pkg = join(peers, "node_modules", "@portkey-ai", "gateway");
  const server = join(pkg, "build", "start-server.js");
  try {
    if (!existsSync(server)) {
      o.log("installing @portkey-ai/gateway under bench/peers (not a project dependency)");
      await run(
        "npm",
        ["install", "--prefix", peers, "--no-audit", "--no-fund", "@portkey-ai/gateway"],
        {
          cwd: o.root,
          timeout: 180_000,
        },
      );
    }
  } catch (e) {
    return { error: `npm install @portkey-ai/gateway failed: ${String(e).split("\n")[0]}` };
  }
  let version = null;
  try {
    const { readFile } = await import("node:fs/promises");
    version = /** @type {{ version: string }} */ (
      JSON.parse(await readFile(join(pkg, "package.json"), "utf8"))
    ).version;
  } catch {
    /* version unknown */
  }
  let last = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    try {
      const child = await spawnReady(process.execPath, [server, `--port=${port}`, "--headless"], {
        cwd: peers,
        ready: /Ready for connections|running at/i,
        cpus: o.cpus,
        timeoutMs: 30_000,
      });
      return { url: `http://127.0.0.1:${port}`, pid: child.pid, version, stop: child.stop };
    } catch (e) {
      // The error carries the process's last lines; keep the most telling one.
      const lines = String(e)
        .split("\n")
        .filter((l) => l.trim());
      last = lines.find((l) => /error|EADDRINUSE|cannot/i.test(l)) ?? lines.at(-1) ?? String(e);
    }
  }
  return { error: `Portkey gateway did not start (3 attempts): ${last.slice(0, 300)}` };
}

/**
 * Portkey's `x-portkey-config`: a loadbalance strategy with the same 95/5
 * split over the same two origins.
 * @param {string} stable
 * @param {string} canary
 */
export function portkeyConfig(stable, canary) {
  return JSON.stringify({
    strategy: { mode: "loadbalance" },
    targets: [
      { provider: "openai", api_key: "sk-bench-stable", custom_host: `${stable}/v1`, weight: 0.95 },
      { provider: "openai", api_key: "sk-bench-canary", custom_host: `${canary}/v1`, weight: 0.05 },
    ],
  });
}
