// @ts-check
/**
 * Bundles under test: the Worker exactly as `wrangler deploy` would upload
 * it (`--dry-run --outdir`), the analyzer harness Worker, the relay designs
 * Worker and the synthetic traffic module (esbuild, like the CLI).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";

const run = promisify(execFile);

/**
 * @param {string} root
 * @param {string} outdir
 * @param {{ minify?: boolean }} [o] `minify: false` keeps function names (for profiles)
 * @returns {Promise<string>} the bundle's entry file
 */
export async function buildRouter(root, outdir, o = {}) {
  await run(
    join(root, "node_modules", ".bin", "wrangler"),
    ["deploy", "--dry-run", "--outdir", outdir, ...(o.minify === false ? ["--no-minify"] : [])],
    {
      cwd: root,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" },
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return join(outdir, "index.js");
}

/**
 * A Worker module for workerd, bundled by esbuild.
 * @param {string} entry
 * @param {string} outfile
 */
async function workerBundle(entry, outfile) {
  await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    outfile,
    logLevel: "warning",
  });
}

/**
 * @param {string} root
 * @param {string} outdir
 */
export async function buildHarness(root, outdir) {
  const harness = join(outdir, "harness.mjs");
  const traffic = join(outdir, "traffic.mjs");
  const relays = join(outdir, "relays.mjs");
  await workerBundle(join(root, "bench", "workers", "harness.ts"), harness);
  await workerBundle(join(root, "bench", "workers", "relays.ts"), relays);
  await build({
    entryPoints: [join(root, "bench", "workers", "traffic.ts")],
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    outfile: traffic,
    logLevel: "warning",
  });
  return { harness, traffic, relays };
}
