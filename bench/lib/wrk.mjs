// @ts-check
/**
 * HTTP load with `wrk` (C, one connection per concurrency slot, keep-alive):
 * POSTs one JSON body for a fixed time and returns throughput, errors and
 * latency quantiles in milliseconds. `post.lua` prints them as JSON.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { canPin } from "./procs.mjs";

const SCRIPT = fileURLToPath(new URL("./post.lua", import.meta.url));

/** Whether `wrk` is installed. */
export async function haveWrk() {
  return new Promise((resolve) => {
    execFile("wrk", ["--version"], (err, stdout, stderr) =>
      resolve(!err || /^wrk /m.test(String(stdout) + String(stderr))),
    );
  });
}

/**
 * @typedef {object} WrkResult
 * @property {number} requests
 * @property {number} rps
 * @property {number} errors non-2xx/3xx answers plus socket errors and timeouts
 * @property {{ mean: number, p50: number, p90: number, p99: number, p999: number, max: number }} latencyMs
 */

/**
 * @param {{ url: string, body: string, connections: number, seconds: number,
 *   headers?: Record<string, string>, cpus?: string | null, threads?: number }} o
 * @returns {Promise<WrkResult>}
 */
export function wrk(o) {
  const args = [
    "-t",
    String(o.threads ?? 1),
    "-c",
    String(o.connections),
    "-d",
    `${Math.max(1, Math.round(o.seconds))}s`,
    "--timeout",
    "10s",
    "-s",
    SCRIPT,
  ];
  for (const [k, v] of Object.entries(o.headers ?? {})) args.push("-H", `${k}: ${v}`);
  args.push(o.url);
  const [cmd, argv] =
    o.cpus && canPin() ? ["taskset", ["-c", o.cpus, "wrk", ...args]] : ["wrk", args];
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      argv,
      { env: { ...process.env, WRK_BODY: o.body }, timeout: (o.seconds + 30) * 1000 },
      (err, stdout, stderr) => {
        const line = String(stdout)
          .split("\n")
          .find((l) => l.startsWith("WRK_JSON "));
        if (!line) {
          reject(new Error(`wrk failed: ${err?.message ?? ""}\n${stdout}\n${stderr}`));
          return;
        }
        const j = JSON.parse(line.slice("WRK_JSON ".length));
        const e = j.errors;
        const us = (/** @type {number} */ v) => v / 1000;
        resolve({
          requests: j.requests,
          rps: j.requests / (j.duration_us / 1e6),
          errors: e.connect + e.read + e.write + e.status + e.timeout,
          latencyMs: {
            mean: us(j.latency_us.mean),
            p50: us(j.latency_us.p50),
            p90: us(j.latency_us.p90),
            p99: us(j.latency_us.p99),
            p999: us(j.latency_us.p999),
            max: us(j.latency_us.max),
          },
        });
      },
    );
  });
}
