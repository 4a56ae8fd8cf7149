// @ts-check
/**
 * Concurrent SSE streams with per-frame arrival times: time to the first
 * content frame, gaps between content frames, frames lost, and frames that
 * arrived merged with the one before (a frame the origin sent 20 ms after
 * its predecessor, delivered within `mergedMs` of it, was held back).
 */
import http from "node:http";

/**
 * @typedef {object} StreamStats
 * @property {number} streams
 * @property {number} failed streams without a 200, `[DONE]` or all frames
 * @property {number[]} ttftMs per stream
 * @property {number[]} gapsMs between consecutive content frames, all streams
 * @property {number} framesExpected content frames the origins sent
 * @property {number} framesReceived
 * @property {number} lost
 * @property {number} mergedLate
 * @property {string[]} errors first few
 */

/**
 * Opens `count` streams at once and reads each to the end.
 * @param {{ url: string, headers?: Record<string, string>, body: string, count: number,
 *   expectFrames: number, mergedMs: number, timeoutMs?: number }} o
 * @returns {Promise<StreamStats>}
 */
export async function runStreams(o) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.count + 8 });
  const target = new URL(o.url);
  /** @type {StreamStats} */
  const stats = {
    streams: o.count,
    failed: 0,
    ttftMs: [],
    gapsMs: [],
    framesExpected: o.count * o.expectFrames,
    framesReceived: 0,
    lost: 0,
    mergedLate: 0,
    errors: [],
  };
  const one = () =>
    new Promise((resolve) => {
      const t0 = performance.now();
      /** @type {number[]} */
      const arrivals = [];
      let done = false;
      let buffer = "";
      const fail = (/** @type {string} */ why) => {
        stats.failed += 1;
        if (stats.errors.length < 5) stats.errors.push(why);
      };
      const req = http.request(
        target,
        {
          method: "POST",
          agent,
          headers: { "content-type": "application/json", ...o.headers },
          timeout: o.timeoutMs ?? 30_000,
        },
        (res) => {
          res.setEncoding("utf8");
          res.on("data", (/** @type {string} */ chunk) => {
            const now = performance.now();
            buffer += chunk;
            let end;
            while ((end = buffer.indexOf("\n\n")) !== -1) {
              const event = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              if (event.includes("data: [DONE]")) done = true;
              else if (/"content":"[^"]/.test(event)) arrivals.push(now);
            }
          });
          res.on("end", () => {
            if (res.statusCode !== 200) fail(`status ${res.statusCode}`);
            else if (!done) fail("no [DONE]");
            stats.framesReceived += arrivals.length;
            stats.lost += Math.max(0, o.expectFrames - arrivals.length);
            if (arrivals.length > 0) stats.ttftMs.push(/** @type {number} */ (arrivals[0]) - t0);
            for (let i = 1; i < arrivals.length; i++) {
              const gap =
                /** @type {number} */ (arrivals[i]) - /** @type {number} */ (arrivals[i - 1]);
              stats.gapsMs.push(gap);
              if (gap < o.mergedMs) stats.mergedLate += 1;
            }
            if (res.statusCode === 200 && done && arrivals.length < o.expectFrames)
              fail(`${arrivals.length} of ${o.expectFrames} frames`);
            resolve(undefined);
          });
          res.on("error", (e) => {
            fail(String(e));
            stats.framesReceived += arrivals.length;
            stats.lost += Math.max(0, o.expectFrames - arrivals.length);
            resolve(undefined);
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", (e) => {
        fail(String(e));
        stats.lost += o.expectFrames;
        resolve(undefined);
      });
      req.end(o.body);
    });
  await Promise.all(Array.from({ length: o.count }, one));
  agent.destroy();
  return stats;
}
