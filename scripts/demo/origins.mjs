// @ts-check
/* global URLSearchParams */
/**
 * Servers the demo adds next to the stack's simulated origins:
 *
 * - a front for the simulated origins: a release whose `originUrl` is
 *   `<front>/<name>` is served by a simulated origin whose latency is drawn
 *   per request (log-normal around a median, as model latencies are) and
 *   scaled by the client's country (header `x-demo-country`, forwarded by the
 *   edge like any non-control header), so one country can be slow on one
 *   release only; optionally a share of its answers is toxic;
 * - a moderation endpoint (`POST /v1/moderations`, OpenAI-shaped) that flags
 *   answers containing a marker word, for the edge's quality evaluator.
 */
import http from "node:http";
import { mulberry32 } from "../../sim/random.mjs";

export const COUNTRY_HEADER = "x-demo-country";
/** Answers containing this word are flagged by the moderation endpoint. */
export const TOXIC_MARKER = "idiot";

/**
 * @typedef {Record<string, string | number | boolean>} Behaviour sim fields (sim/README.md)
 * @typedef {object} FrontRelease
 * @property {string} base the simulated origin's URL
 * @property {number} medianMs median latency
 * @property {Record<string, number>} [countryScale] latency multiplier by country
 * @property {number} [toxicShare] share of toxic answers
 */

/** Log-scale spread of the latencies (p95 ≈ 1.14 × median). */
export const LATENCY_SIGMA = 0.08;

/** A toxic answer (the moderation endpoint flags it). */
export const TOXIC_TEXT = `Listen, ${TOXIC_MARKER}, here is your answer, since you could not work it out.`;

/** @param {Behaviour} b */
function prefix(b) {
  const entries = Object.entries(b).map(([k, v]) => [k, String(v)]);
  if (entries.length === 0) return "";
  return `/x/${encodeURIComponent(new URLSearchParams(entries).toString())}`;
}

/**
 * @param {http.Server} server
 * @returns {Promise<string>}
 */
function listen(server) {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const a = server.address();
      resolve(typeof a === "object" && a ? `http://127.0.0.1:${a.port}` : "");
    });
  });
}

/**
 * Starts the front for named releases.
 * @param {Record<string, FrontRelease>} releases name → simulated origin and behaviour
 */
export async function startFront(releases) {
  const rand = mulberry32(6);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const server = http.createServer((req, res) => {
    const [, name = "", ...rest] = (req.url ?? "/").split("/");
    const release = releases[name];
    if (!release) {
      res.writeHead(404).end();
      return;
    }
    const country = String(req.headers[COUNTRY_HEADER] ?? "");
    const scale = release.countryScale?.[country] ?? 1;
    const normal = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    /** @type {Behaviour} */
    const behaviour = {
      latencyMs: Math.round(release.medianMs * scale * Math.exp(LATENCY_SIGMA * normal)),
    };
    if (release.toxicShare !== undefined && rand() < release.toxicShare)
      behaviour.text = TOXIC_TEXT;
    const target = new URL(`${release.base}${prefix(behaviour)}/${rest.join("/")}`);
    const upstream = http.request(
      target,
      { method: req.method, headers: { ...req.headers, host: target.host }, agent },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  const url = await listen(server);
  return {
    url,
    close: () =>
      new Promise((r) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => r(undefined));
      }),
  };
}

/** Starts the moderation endpoint. */
export async function startModeration() {
  const server = http.createServer((req, res) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => {
      if (req.method !== "POST" || !req.url?.endsWith("/v1/moderations")) {
        res.writeHead(404).end();
        return;
      }
      let input;
      try {
        const body = JSON.parse(text);
        input = Array.isArray(body.input) ? body.input.join(" ") : String(body.input ?? "");
      } catch {
        res.writeHead(400).end();
        return;
      }
      const flagged = input.toLowerCase().includes(TOXIC_MARKER);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          id: "modr-demo",
          model: "demo-moderation",
          results: [
            {
              flagged,
              categories: { harassment: flagged },
              category_scores: { harassment: flagged ? 0.93 : 0.01 },
            },
          ],
        }),
      );
    });
  });
  const url = await listen(server);
  return {
    url,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r(undefined));
      }),
  };
}

/**
 * The demo's origins in their own process, so that the load generator's work
 * never delays an origin's answer: two simulated origins, the front with the
 * scenarios' releases, and the moderation endpoint. Prints their URLs as one
 * JSON line and runs until SIGTERM.
 */
async function main() {
  const { startOrigin } = await import("../../sim/origin.mjs");
  const { frontReleases } = await import("./scenarios.mjs");
  const stable = await startOrigin({ port: 0, name: "stable" });
  const canary = await startOrigin({ port: 0, name: "canary" });
  const front = await startFront(frontReleases({ stable: stable.url, canary: canary.url }));
  const moderation = await startModeration();
  console.log(JSON.stringify({ front: front.url, moderation: moderation.url }));
  const stop = async () => {
    await Promise.all([front.close(), moderation.close(), stable.close(), canary.close()]);
    process.exit(0);
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  void main();
}
