// @ts-check
/**
 * The floor for any Workers router: forwards every request to one origin and
 * streams the answer back, with no parsing, config, assignment or logging.
 * (`x-bench-origin: slow` picks the 60 ms origin for one benchmark.)
 */
export default {
  /**
   * @param {Request} request
   * @param {{ ORIGIN: string, ORIGIN_SLOW: string }} env
   */
  async fetch(request, env) {
    const url = new URL(request.url);
    const base = request.headers.get("x-bench-origin") === "slow" ? env.ORIGIN_SLOW : env.ORIGIN;
    return fetch(base + url.pathname + url.search, {
      method: request.method,
      headers: request.headers,
      body: request.body,
    });
  },
};
