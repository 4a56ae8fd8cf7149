// @ts-check
/**
 * Non-streaming HTTP benchmarks with wrk, in interleaved rounds: added
 * latency at concurrency 1, throughput at 16 and 64, throughput with a 60 ms
 * origin, the cost of outcome logging, and CPU per request in workerd.
 */
import { cpuSeconds } from "../lib/procs.mjs";
import { rotation, spread } from "../lib/stats.mjs";
import { wrk } from "../lib/wrk.mjs";

/**
 * @typedef {{ name: string, url: string, headers?: Record<string, string>, body: string, pid?: number | null }} Target
 * @typedef {{ rounds: number, seconds: number, warmupSeconds: number, loadCpus: string | null,
 *   log: (s: string) => void }} RunOptions
 */

/**
 * Runs every target once per round, in a rotating order, at one concurrency.
 * @param {Target[]} targets
 * @param {number} connections
 * @param {RunOptions} o
 */
export async function rounds(targets, connections, o) {
  for (const t of targets)
    await wrk({
      url: t.url,
      body: t.body,
      headers: t.headers,
      connections,
      seconds: o.warmupSeconds,
      cpus: o.loadCpus,
    });
  /** @type {Record<string, Array<import("../lib/wrk.mjs").WrkResult>>} */
  const byTarget = Object.fromEntries(targets.map((t) => [t.name, []]));
  for (let r = 0; r < o.rounds; r++) {
    for (const t of rotation(targets, r)) {
      const res = await wrk({
        url: t.url,
        body: t.body,
        headers: t.headers,
        connections,
        seconds: o.seconds,
        cpus: o.loadCpus,
      });
      byTarget[t.name]?.push(res);
    }
    o.log(
      `    c=${connections} round ${r + 1}/${o.rounds}: ${targets
        .map((t) => {
          const x = byTarget[t.name]?.at(-1);
          return `${t.name} ${x?.rps.toFixed(0)} req/s p50 ${x?.latencyMs.p50.toFixed(2)} ms${x?.errors ? ` (${x.errors} errors)` : ""}`;
        })
        .join(", ")}`,
    );
  }
  return Object.fromEntries(
    Object.entries(byTarget).map(([name, res]) => [
      name,
      {
        p50: spread(res.map((x) => x.latencyMs.p50)),
        p99: spread(res.map((x) => x.latencyMs.p99)),
        rps: spread(res.map((x) => x.rps)),
        requests: res.reduce((s, x) => s + x.requests, 0),
        errors: res.reduce((s, x) => s + x.errors, 0),
      },
    ]),
  );
}

/**
 * CPU seconds of each target's process per request, over a fixed load
 * (closed loop, 8 connections). For a Worker that logs, the wait after the
 * load lets the queue consumer's D1 writes for those requests finish, so
 * they are counted too.
 * @param {Target[]} targets
 * @param {RunOptions & { settleMs: number }} o
 */
export async function cpuPerRequest(targets, o) {
  /** @type {Record<string, number[]>} */
  const perTarget = Object.fromEntries(targets.map((t) => [t.name, []]));
  for (let r = 0; r < o.rounds; r++) {
    for (const t of rotation(targets, r)) {
      if (!t.pid) continue;
      const before = cpuSeconds(t.pid);
      const res = await wrk({
        url: t.url,
        body: t.body,
        headers: t.headers,
        connections: 8,
        seconds: o.seconds,
        cpus: o.loadCpus,
      });
      await new Promise((resolve) => setTimeout(resolve, o.settleMs));
      const used = cpuSeconds(t.pid) - before;
      perTarget[t.name]?.push((used / Math.max(1, res.requests)) * 1000);
    }
  }
  return Object.fromEntries(Object.entries(perTarget).map(([k, v]) => [k, spread(v)]));
}
