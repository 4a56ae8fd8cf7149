// @ts-check
/* global WebSocket */
/**
 * Where the router's CPU goes: a V8 CPU profile of the deploy bundle in workerd
 * (through the runtime's inspector) while wrk drives non-streamed requests at 8
 * connections, summarised per function in milliseconds per request. Samples
 * attribute JavaScript time; the runtime's own work shows as "(program)".
 *
 *   node --experimental-websocket bench/profile.mjs [--log] [--seconds 5] [--top 30]
 *
 * `--log` profiles with outcome logging on (the queue consumer off, so only the
 * edge's share is seen). Node 20 needs `--experimental-websocket`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildRouter } from "./lib/build.mjs";
import { MODEL, startOrigins, startRouter } from "./lib/targets.mjs";
import { wrk } from "./lib/wrk.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const { values: args } = parseArgs({
  options: {
    log: { type: "boolean", default: false },
    seconds: { type: "string", default: "5" },
    top: { type: "string", default: "30" },
  },
});

/**
 * @typedef {{ id: number, callFrame: { functionName: string, url: string, lineNumber: number },
 *   children?: number[] }} ProfileNode
 * @typedef {{ nodes: ProfileNode[], samples: number[], timeDeltas: number[] }} Profile
 */

/** @param {ProfileNode} n */
const label = (n) =>
  `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.split("/").pop()}:${n.callFrame.lineNumber + 1}`;

/**
 * Self and inclusive time per function, in microseconds.
 * @param {Profile} p
 */
export function summarise(p) {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  /** @type {Map<number, number>} */
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  /** @type {Map<string, number>} */
  const self = new Map();
  /** @type {Map<string, number>} */
  const inclusive = new Map();
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    const node = /** @type {ProfileNode} */ (byId.get(id));
    self.set(label(node), (self.get(label(node)) ?? 0) + dt);
    const seen = new Set();
    for (
      let cur = /** @type {number | undefined} */ (id);
      cur !== undefined;
      cur = parent.get(cur)
    ) {
      const name = label(/** @type {ProfileNode} */ (byId.get(cur)));
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + dt);
    }
  });
  return { self, inclusive };
}

async function main() {
  const work = await mkdtemp(join(tmpdir(), "llm-canary-profile-"));
  const origins = await startOrigins(ROOT, null);
  const port = 9300 + Math.floor(Math.random() * 600);
  const w = await startRouter({
    root: ROOT,
    bundle: await buildRouter(ROOT, join(work, "bundle"), { minify: false }),
    origins,
    logging: args.log,
    cpus: null,
    name: "router",
    options: { queueConsumers: {}, inspectorPort: port },
  });
  try {
    const url = `${w.url}/v1/chat/completions`;
    const body = JSON.stringify({
      model: MODEL,
      messages: [{ role: "user", content: "Say hello" }],
    });
    await wrk({ url, body, connections: 8, seconds: 2 });

    const ws = new WebSocket(`ws://127.0.0.1:${port}/core:user:router`);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    /** @type {Map<number, (v: any) => void>} */
    const pending = new Map();
    ws.onmessage = (m) => {
      const d = JSON.parse(String(m.data));
      pending.get(d.id)?.(d.result);
      pending.delete(d.id);
    };
    let seq = 0;
    /** @param {string} method @param {object} [params] @returns {Promise<any>} */
    const send = (method, params = {}) =>
      new Promise((resolve) => {
        pending.set(++seq, resolve);
        ws.send(JSON.stringify({ id: seq, method, params }));
      });
    await send("Profiler.enable");
    await send("Profiler.setSamplingInterval", { interval: 50 });
    await send("Profiler.start");
    const res = await wrk({ url, body, connections: 8, seconds: Number(args.seconds) });
    const { profile } = await send("Profiler.stop");
    ws.close();

    const { self, inclusive } = summarise(profile);
    const perReq = (/** @type {number} */ us) => (us / res.requests / 1000).toFixed(4);
    const top = (/** @type {Map<string, number>} */ m) =>
      [...m]
        .sort((a, b) => b[1] - a[1])
        .slice(0, Number(args.top))
        .map(([k, v]) => `  ${perReq(v)}  ${k}`)
        .join("\n");
    console.log(
      `${res.requests} requests, ${res.rps.toFixed(0)} req/s, logging ${args.log ? "on" : "off"}; ms per request\n` +
        `self:\n${top(self)}\ninclusive:\n${top(inclusive)}`,
    );
  } finally {
    await w.stop();
    await origins.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
