// @ts-check
/**
 * Simulated OpenAI-compatible model origin.
 *
 * A dependency-free HTTP server that plays the stable or canary model backend
 * for `npm start`, the workerd integration tests, benchmarks and the demo.
 * See sim/README.md for flags, per-request overrides and endpoints.
 *
 * Layout: behaviour.mjs (fields, defaults, `/x/` overrides), random.mjs
 * (seeded faults), openai/ (pure builders of OpenAI JSON and SSE plans),
 * recorder.mjs (request log, counters), exchange.mjs (socket handling,
 * delays, stream faults), cli.mjs (flags). This file wires them to
 * node:http and is the CLI entry point.
 *
 * @example
 *   const origin = await startOrigin({ name: "canary", ttftMs: 80 });
 *   const base = `${origin.url}/x/${encodeURIComponent("cutAfterChunks=3&tag=t1")}`;
 *   // ... point a release's originUrl at `base`, drive the router, then:
 *   origin.requests("t1"); // what the router sent upstream
 *   await origin.close();
 */
import http from "node:http";
import { DEFAULTS, parseBehaviour, splitPrefix } from "./behaviour.mjs";
import { USAGE, parseCli } from "./cli.mjs";
import { openExchange, runStream, sendError, sendJson, sleep, writeHead } from "./exchange.mjs";
import { ROUTES } from "./openai/routes.mjs";
import { errorBody, faultMessage } from "./openai/shared.mjs";
import { drawFault } from "./random.mjs";
import { createState, listRecords, recordRequest, resetState, rngFor } from "./recorder.mjs";
import { isObject } from "./text.mjs";
import { isEntryPoint } from "./entry.mjs";

/** @typedef {import("node:http").IncomingMessage} IncomingMessage */
/** @typedef {import("node:http").ServerResponse} ServerResponse */
/** @typedef {import("./cli.mjs").OriginOptions} OriginOptions */
/** @typedef {import("./recorder.mjs").RecordedRequest} RecordedRequest */
/** @typedef {import("./recorder.mjs").State} State */

/** Request bodies above this are refused; protects the process, not a real API limit. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * @param {IncomingMessage} req
 * @returns {Promise<{ ok: true, text: string } | { ok: false, reason: "too_large" | "aborted" }>}
 */
function readBody(req) {
  return new Promise((resolve) => {
    /** @type {Buffer[]} */
    const parts = [];
    let size = 0;
    req.on("data", (/** @type {Buffer} */ part) => {
      size += part.length;
      if (size <= MAX_BODY_BYTES) parts.push(part);
    });
    req.on("end", () => {
      if (size > MAX_BODY_BYTES) resolve({ ok: false, reason: "too_large" });
      else resolve({ ok: true, text: Buffer.concat(parts).toString("utf8") });
    });
    req.on("error", () => resolve({ ok: false, reason: "aborted" }));
  });
}

/**
 * Bodies of GET/DELETE are ignored; POST bodies must be a JSON object.
 * @param {string | undefined} method
 * @param {string} text
 * @returns {{ ok: true, body: Record<string, unknown> | null } | { ok: false }}
 */
function parseJsonBody(method, text) {
  if (method === "GET" || method === "HEAD" || method === "DELETE") return { ok: true, body: null };
  try {
    const body = JSON.parse(text);
    return isObject(body) ? { ok: true, body } : { ok: false };
  } catch {
    return { ok: false };
  }
}

/**
 * Everything outside `/__sim/`: records the request, then applies redirect,
 * injected errors and delays around the pure route builders.
 * @param {State} state
 * @param {IncomingMessage} req
 * @param {ServerResponse} res
 * @param {URL} url
 */
async function handleModelRequest(state, req, res, url) {
  const prefix = splitPrefix(url.pathname);
  const raw = await readBody(req);
  if (!raw.ok && raw.reason === "aborted") return;
  const parsed = raw.ok
    ? parseJsonBody(req.method, raw.text)
    : /** @type {const} */ ({ ok: false });
  const behaviour = { ...state.defaults, ...prefix.overrides };
  const method = req.method ?? "GET";
  const record = recordRequest(
    state,
    {
      method,
      path: prefix.path,
      tag: behaviour.tag ?? null,
      headers: { ...req.headers },
      body: parsed.ok ? parsed.body : null,
    },
    Date.now(),
  );
  const ex = openExchange(state, req, res, record, behaviour);
  if (!raw.ok) return sendError(ex, 413, "Request body too large.");
  if (prefix.error) return sendError(ex, 400, prefix.error);
  if (method === "GET" && prefix.path === "/") {
    // A plain banner, so a bare GET of a base URL shows which origin answers.
    writeHead(ex, 200, { "content-type": "text/plain; charset=utf-8" });
    return void res.end(state.name);
  }
  if (!parsed.ok) {
    return sendError(ex, 400, "We could not parse the JSON body of your request.");
  }
  const route = ROUTES[`${method} ${prefix.path}`];
  if (!route) return sendError(ex, 404, `Unrecognized request URL (${method}: ${prefix.path}).`);
  if (behaviour.redirect) {
    writeHead(ex, 302, { location: behaviour.redirect, "content-length": 0 });
    return void res.end();
  }
  // Drawn on arrival, so the sequence follows request order, not completion order.
  const fault = drawFault(rngFor(state, behaviour), behaviour);
  if (!(await sleep(behaviour.stallHeadersMs + behaviour.latencyMs, ex.signal))) return;
  if (fault?.retryAfterS !== undefined) {
    const headers = { "retry-after": fault.retryAfterS };
    return sendError(ex, fault.status, faultMessage(fault.status), headers);
  }
  if (fault) return sendError(ex, fault.status, faultMessage(fault.status));
  const body = parsed.body ?? {};
  const reply = route({ name: state.name, behaviour, seq: record.id, body });
  if (reply.kind === "json") return sendJson(ex, 200, reply.body);
  return runStream(ex, reply.plan);
}

/**
 * @param {ServerResponse} res
 * @param {number} status
 * @param {unknown} body
 */
function sendControlJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * `/__sim/` inspection endpoints; they are neither recorded nor counted.
 * @param {State} state
 * @param {IncomingMessage} req
 * @param {ServerResponse} res
 * @param {URL} url
 */
function handleControl(state, req, res, url) {
  const route = `${req.method} ${url.pathname}`;
  switch (route) {
    case "GET /__sim/health":
      return sendControlJson(res, 200, { ok: true, name: state.name });
    case "GET /__sim/requests":
      return sendControlJson(res, 200, listRecords(state, url.searchParams.get("tag")));
    case "DELETE /__sim/requests": {
      const cleared = state.records.length;
      state.records = [];
      return sendControlJson(res, 200, { ok: true, cleared });
    }
    case "GET /__sim/stats":
      return sendControlJson(res, 200, { name: state.name, ...state.stats });
    default:
      return sendControlJson(res, 404, errorBody(404, `Unknown control endpoint ${route}.`));
  }
}

/**
 * @param {State} state
 * @param {IncomingMessage} req
 * @param {ServerResponse} res
 */
async function handle(state, req, res) {
  const url = new URL(req.url ?? "/", "http://sim.invalid");
  if (url.pathname.startsWith("/__sim/")) return handleControl(state, req, res, url);
  return handleModelRequest(state, req, res, url);
}

/**
 * @typedef {object} SimOrigin
 * @property {string} url Base URL, `http://127.0.0.1:<port>`.
 * @property {number} port
 * @property {() => Promise<void>} close Stops listening and drops open connections.
 * @property {(tag?: string) => RecordedRequest[]} requests Recorded requests, optionally by tag.
 * @property {() => void} reset Clears the request log and counters; restarts PRNG streams.
 */

/**
 * Starts a simulated origin on 127.0.0.1. Options are the default behaviour
 * of every request (see sim/README.md) plus `port` (0 = any free port) and
 * `name`. Invalid options throw.
 *
 * @example
 *   const stable = await startOrigin({ name: "stable", latencyMs: 40 });
 *   const res = await fetch(`${stable.url}/v1/models`);
 *   await stable.close();
 *
 * @param {OriginOptions} [options]
 * @returns {Promise<SimOrigin>}
 */
export async function startOrigin(options = {}) {
  const { port = 0, name = "origin", ...fields } = options;
  const parsed = parseBehaviour(Object.entries(fields));
  if (!parsed.ok) throw new TypeError(`startOrigin: ${parsed.error}`);
  const state = createState(name, { ...DEFAULTS, ...parsed.value });
  const server = http.createServer((req, res) => {
    handle(state, req, res).catch((error) => {
      console.error(`sim origin ${name}:`, error);
      if (res.headersSent) res.destroy();
      else sendControlJson(res, 500, errorBody(500, "Simulated origin internal error."));
    });
  });
  // Keep idle connections as long as hosted APIs and their load balancers do
  // (Node's default is 5 s): a caller reusing a pooled connection just as the
  // origin closes it gets "Network connection lost", which is a property of
  // the test origin, not of the caller.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on("connection", (socket) => {
    state.stats.openConnections += 1;
    socket.once("close", () => {
      state.stats.openConnections -= 1;
    });
  });
  const actualPort = await listen(server, port);
  return {
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    close: () => closeServer(server, state),
    requests: (tag) => listRecords(state, tag),
    reset: () => resetState(state),
  };
}

/**
 * @param {http.Server} server
 * @param {number} port
 * @returns {Promise<number>} the bound port
 */
function listen(server, port) {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      const address = server.address();
      if (address === null || typeof address === "string") reject(new Error("no TCP address"));
      else resolve(address.port);
    });
  });
}

/**
 * Stalled streams would keep `server.close()` waiting forever, so open
 * connections are dropped; those drops are not counted as client aborts.
 * @param {http.Server} server
 * @param {State} state
 * @returns {Promise<void>}
 */
function closeServer(server, state) {
  state.closing = true;
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

/** @param {string[]} argv */
async function main(argv) {
  const cli = parseCli(argv);
  if (!cli.ok) {
    console.error(`sim origin: ${cli.error}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (cli.help) {
    console.log(USAGE);
    return;
  }
  const origin = await startOrigin(cli.options);
  console.log(`sim origin ${cli.options.name} listening on ${origin.url}`);
  const stop = () => {
    origin.close().then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (isEntryPoint(import.meta.url)) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(`sim origin: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
