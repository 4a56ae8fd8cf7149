// @ts-check
/**
 * The floor for any Workers router: forwards every request to one origin and
 * streams the answer back, with no parsing, config, assignment or logging.
 * (`x-bench-origin: slow` picks the 60 ms origin for one benchmark.) With a
 * `SINK` queue bound, it also sends one message of an outcome event's size
 * per request, off the response path (the "bare-send" target).
 */

/** About the size and shape of one outcome event. */
const MESSAGE = {
  v: 1,
  requestId: "00000000-0000-4000-8000-000000000000",
  ts: 0,
  route: "bench",
  facts: { country: "US", cohort: null, requestType: "chat", model: "bench-model" },
  metrics: Object.fromEntries(Array.from({ length: 24 }, (_, i) => [`metric_${i}`, i * 1.5])),
  text: "x".repeat(1200),
};
export default {
  /**
   * @param {Request} request
   * @param {{ ORIGIN: string, ORIGIN_SLOW: string, SINK?: { send: (body: unknown) => Promise<void> } }} env
   * @param {{ waitUntil: (p: Promise<unknown>) => void }} ctx
   */
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (env.SINK) ctx.waitUntil(env.SINK.send({ ...MESSAGE, ts: Date.now() }).catch(() => {}));
    const base = request.headers.get("x-bench-origin") === "slow" ? env.ORIGIN_SLOW : env.ORIGIN;
    return fetch(base + url.pathname + url.search, {
      method: request.method,
      headers: request.headers,
      body: request.body,
    });
  },
};
