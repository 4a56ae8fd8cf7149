// @ts-check
/**
 * Workers under test, run in workerd through Miniflare's API (no `wrangler
 * dev`, whose extra proxy would be measured too). Each instance gets its own
 * workerd process, so it can be pinned and its CPU time read from /proc, and
 * a direct socket to the Worker (`unsafeDirectSockets`), so requests skip
 * Miniflare's entry worker.
 */
import { readFile, readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Miniflare } from "miniflare";
import { childrenNamed, pin } from "./procs.mjs";

/**
 * The project Worker's bindings, queues and compatibility settings as
 * Miniflare options, read from wrangler.toml the way wrangler does.
 * @param {string} root
 */
export async function projectWorkerOptions(root) {
  const { unstable_getMiniflareWorkerOptions } = await import("wrangler");
  const { workerOptions: w } = unstable_getMiniflareWorkerOptions(join(root, "wrangler.toml"));
  return {
    compatibilityDate: w.compatibilityDate,
    compatibilityFlags: w.compatibilityFlags,
    bindings: /** @type {Record<string, string>} */ (w.bindings ?? {}),
    kvNamespaces: w.kvNamespaces,
    d1Databases: w.d1Databases,
    queueProducers: w.queueProducers,
    queueConsumers: w.queueConsumers,
  };
}

/**
 * D1 migrations as statements, in file order (drizzle's statement breakpoints).
 * @param {string} root
 */
export async function migrationStatements(root) {
  const dir = join(root, "migrations");
  const files = (await readdir(dir)).filter((f) => f.endsWith(".sql")).sort();
  /** @type {string[]} */
  const out = [];
  for (const f of files) {
    const text = await readFile(join(dir, f), "utf8");
    for (const stmt of text.split("--> statement-breakpoint")) if (stmt.trim()) out.push(stmt);
  }
  return out;
}

/**
 * @typedef {object} WorkerOptions
 * @property {string} name label in the report
 * @property {string} scriptPath ES module bundle
 * @property {Record<string, unknown>} options Miniflare worker options (bindings, storage, queues, compatibility)
 * @property {string | false} [persist] directory for KV/D1 state (default in memory)
 * @property {string | null} [cpus] CPU list to pin workerd to
 */

/**
 * @typedef {object} RunningWorker
 * @property {string} name
 * @property {string} url base URL of the direct socket
 * @property {Miniflare} mf
 * @property {number | null} pid the workerd process, when found
 * @property {() => Promise<void>} stop
 */

/**
 * Starts one Worker in its own workerd.
 * @param {WorkerOptions} o
 * @returns {Promise<RunningWorker>}
 */
export async function startWorker(o) {
  const before = new Set(childrenNamed(process.pid, "workerd"));
  const mf = new Miniflare({
    name: o.name,
    modules: true,
    modulesRoot: dirname(o.scriptPath),
    scriptPath: o.scriptPath,
    ...o.options,
    kvPersist: o.persist ? join(o.persist, "kv") : false,
    d1Persist: o.persist ? join(o.persist, "d1") : false,
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
    handleRuntimeStdio(
      /** @type {import("node:stream").Readable} */ stdout,
      /** @type {import("node:stream").Readable} */ stderr,
    ) {
      // Worker logs are noise here, except when the runtime fails to start.
      stdout.resume();
      stderr.on("data", (/** @type {Buffer} */ b) => {
        if (process.env.BENCH_DEBUG) process.stderr.write(b);
      });
    },
  });
  await mf.ready;
  const url = (await mf.unsafeGetDirectURL()).href.replace(/\/$/, "");
  const pid = childrenNamed(process.pid, "workerd").find((p) => !before.has(p)) ?? null;
  if (pid !== null) pin(pid, o.cpus ?? null);
  return { name: o.name, url, mf, pid, stop: () => mf.dispose() };
}

/**
 * Applies the project's D1 migrations to a running Worker's database.
 * @param {Miniflare} mf
 * @param {string} binding
 * @param {string[]} statements
 */
export async function migrate(mf, binding, statements) {
  const db = await mf.getD1Database(binding);
  for (const s of statements) await db.prepare(s).run();
}
