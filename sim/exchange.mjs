// @ts-check
/**
 * One request/response exchange of the simulated origin over Node's http
 * module: abort tracking, header/JSON writing and the SSE stream runner that
 * applies pacing and stream faults to a StreamPlan.
 *
 * A response that closes before it finished, and that we did not cut on
 * purpose, was abandoned by the client; that is what tests use to check that
 * the router cancels upstream requests.
 */
import { MALFORMED_FRAME, errorBody, midpoint } from "./openai/shared.mjs";

/** @typedef {import("node:http").IncomingMessage} IncomingMessage */
/** @typedef {import("node:http").ServerResponse} ServerResponse */
/** @typedef {import("./behaviour.mjs").Behaviour} Behaviour */
/** @typedef {import("./recorder.mjs").State} State */
/** @typedef {import("./recorder.mjs").RecordedRequest} RecordedRequest */
/** @typedef {import("./openai/shared.mjs").StreamPlan} StreamPlan */
/** @typedef {Record<string, string | number>} HeaderMap */

/** A stalled stream is given up (socket destroyed) after this long. */
const STALL_LIMIT_MS = 60_000;

/**
 * @typedef {object} Exchange
 * @property {State} state
 * @property {IncomingMessage} req
 * @property {ServerResponse} res
 * @property {RecordedRequest} record
 * @property {Behaviour} behaviour
 * @property {AbortSignal} signal Aborted when the response closes for any reason.
 * @property {boolean} cutByServer Set before we destroy the socket on purpose.
 * @property {Promise<void>} flushed Settles once everything written so far left the process.
 */

/**
 * Resolves true after `ms`, or false as soon as the signal aborts, so no
 * timer outlives a closed response.
 * @param {number} ms
 * @param {AbortSignal} signal
 * @returns {Promise<boolean>}
 */
export function sleep(ms, signal) {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * @param {AbortSignal} signal
 * @returns {Promise<void>}
 */
function closed(signal) {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true }),
  );
}

/**
 * @param {State} state
 * @param {IncomingMessage} req
 * @param {ServerResponse} res
 * @param {RecordedRequest} record
 * @param {Behaviour} behaviour
 * @returns {Exchange}
 */
export function openExchange(state, req, res, record, behaviour) {
  const controller = new AbortController();
  /** @type {Exchange} */
  const ex = {
    state,
    req,
    res,
    record,
    behaviour,
    signal: controller.signal,
    cutByServer: false,
    flushed: Promise.resolve(),
  };
  state.stats.inFlight += 1;
  const onClose = () => {
    state.stats.inFlight -= 1;
    if (res.writableFinished) {
      record.finishedAt = Date.now();
    } else if (!ex.cutByServer && !state.closing) {
      record.aborted = true;
      record.abortedAt = Date.now();
      state.stats.aborted += 1;
    }
    controller.abort();
  };
  // The client may already be gone by the time its body has been read.
  if (req.socket.destroyed) onClose();
  else res.once("close", onClose);
  return ex;
}

/**
 * @param {Exchange} ex
 * @param {number} status
 * @param {HeaderMap} headers
 */
export function writeHead(ex, status, headers) {
  ex.record.status = status;
  const key = String(status);
  ex.state.stats.byStatus[key] = (ex.state.stats.byStatus[key] ?? 0) + 1;
  ex.res.writeHead(status, { "x-sim-origin": ex.state.name, ...headers });
}

/**
 * @param {Exchange} ex
 * @param {number} status
 * @param {Record<string, unknown>} body
 * @param {HeaderMap} [headers]
 */
export function sendJson(ex, status, body, headers = {}) {
  if (ex.signal.aborted) return;
  const payload = ex.behaviour.echoHeaders ? { ...body, sim: { headers: ex.req.headers } } : body;
  const text = JSON.stringify(payload);
  writeHead(ex, status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  const b = ex.behaviour;
  if (status === 200 && (b.cutAfterChunks !== undefined || b.stallAfterChunks !== undefined)) {
    // Half the declared body, then a cut socket or silence.
    ex.res.write(text.slice(0, Math.floor(text.length / 2)));
    if (b.cutAfterChunks !== undefined) setTimeout(() => ex.req.socket.destroy(), 20);
    return;
  }
  ex.res.end(text);
}

/**
 * @param {Exchange} ex
 * @param {number} status
 * @param {string} message
 * @param {HeaderMap} [headers]
 */
export function sendError(ex, status, message, headers) {
  sendJson(ex, status, errorBody(status, message), headers);
}

/**
 * @param {Exchange} ex
 * @param {string} frame
 */
function write(ex, frame) {
  if (ex.signal.aborted) return;
  ex.flushed = new Promise((resolve) => ex.res.write(frame, () => resolve()));
}

/**
 * Destroys the socket abruptly (no terminating chunk), but only after the
 * frames already written have left: destroying drops unflushed data, and
 * the client must see the chunks that came before the cut.
 * @param {Exchange} ex
 */
async function cut(ex) {
  ex.cutByServer = true;
  // A client that leaves meanwhile settles it too: no write callback is owed then.
  await Promise.race([ex.flushed, closed(ex.signal)]);
  ex.res.destroy();
}

/** @param {Exchange} ex */
async function stall(ex) {
  if (await sleep(STALL_LIMIT_MS, ex.signal)) await cut(ex);
}

/**
 * Delay before content chunk i > 0: the fixed interval plus, with
 * `tokensPerSec`, the time to "generate" the chunk's words.
 * @param {Behaviour} b
 * @param {number} words
 */
function chunkDelay(b, words) {
  const generation = b.tokensPerSec > 0 ? (words * 1000) / b.tokensPerSec : 0;
  return b.chunkIntervalMs + generation;
}

/**
 * Where a fault that fires "after N content chunks" takes effect; N beyond
 * the chunk count still fires before the tail, so there is never a [DONE].
 * @param {number | undefined} after
 * @param {number} n
 */
function faultIndex(after, n) {
  return after === undefined ? -1 : Math.min(after, n);
}

/**
 * Where to cut a header echo so the key straddles the cut: the middle of the
 * `authorization` value, or of the whole echo without one.
 * @param {string} echo
 * @param {string | string[] | undefined} authorization
 */
function keyMidpoint(echo, authorization) {
  const value = typeof authorization === "string" ? authorization : "";
  const start = value ? echo.indexOf(value) : -1;
  return start < 0 ? Math.floor(echo.length / 2) : start + Math.floor(value.length / 2);
}

/**
 * Sends a stream plan: headers, optional header echo, head frames, `ttftMs`,
 * paced content frames with the stream faults, then the tail.
 * @param {Exchange} ex
 * @param {StreamPlan} plan
 * @returns {Promise<void>}
 */
export async function runStream(ex, plan) {
  const b = ex.behaviour;
  const n = plan.deltas.length;
  const cutAt = faultIndex(b.cutAfterChunks, n);
  const stallAt = faultIndex(b.stallAfterChunks, n);
  const middle = midpoint(n);
  writeHead(ex, 200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  if (b.echoHeaders) {
    const echo = `: headers ${JSON.stringify(ex.req.headers)}\n\n`;
    if (b.splitEchoMs > 0) {
      const at = keyMidpoint(echo, ex.req.headers.authorization);
      write(ex, echo.slice(0, at));
      if (!(await sleep(b.splitEchoMs, ex.signal))) return;
      write(ex, echo.slice(at));
    } else {
      write(ex, echo);
    }
  }
  for (const frame of plan.head) write(ex, frame);
  if (!(await sleep(b.ttftMs, ex.signal))) return;
  for (let i = 0; i <= n; i++) {
    if (i === cutAt) return cut(ex);
    if (i === stallAt) return stall(ex);
    if (i === n) break;
    if (i > 0 && !(await sleep(chunkDelay(b, plan.weights[i] ?? 0), ex.signal))) return;
    if (i === middle && b.inbandError) {
      write(ex, plan.errorFrame);
      return void ex.res.end();
    }
    if (i === middle && b.malformedSse) write(ex, MALFORMED_FRAME);
    write(ex, plan.deltas[i] ?? "");
  }
  for (const frame of plan.tail) write(ex, frame);
  if (!ex.signal.aborted) ex.res.end();
}
