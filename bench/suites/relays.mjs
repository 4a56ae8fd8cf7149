// @ts-check
/**
 * Relay designs side by side (bench/workers/relays.ts): one workerd process
 * serves every design, chosen per request by `x-relay`; per round and design,
 * N concurrent streams of 64 frames 20 ms apart. Per design: CPU per frame
 * (the process's CPU over the round divided by frames delivered, less the
 * native design's, so the fetch and the stream's setup cancel), the gap p99
 * and frames merged late, and TTFT.
 */
import { cpuSeconds } from "../lib/procs.mjs";
import { paired, quantile, rotation, spread } from "../lib/stats.mjs";
import { runStreams } from "../lib/stream-client.mjs";

/**
 * @param {{ url: string, pid: number | null, body: string, designs: string[], counts: number[],
 *   rounds: number, frames: number, intervalMs: number, log: (s: string) => void }} o
 */
export async function relays(o) {
  /** @type {Record<string, unknown>} */
  const out = {};
  const stream = (/** @type {string} */ design, /** @type {number} */ count) =>
    runStreams({
      url: o.url,
      headers: { "x-relay": design },
      body: o.body,
      count,
      expectFrames: o.frames,
      mergedMs: o.intervalMs / 4,
    });
  for (const count of o.counts) {
    for (const d of o.designs) await stream(d, 4);
    /** @type {Record<string, { cpuUsPerFrame: number[], gapP99: number[], ttftP50: number[], merged: number, lost: number, failed: number, frames: number }>} */
    const by = Object.fromEntries(
      o.designs.map((d) => [
        d,
        { cpuUsPerFrame: [], gapP99: [], ttftP50: [], merged: 0, lost: 0, failed: 0, frames: 0 },
      ]),
    );
    for (let r = 0; r < o.rounds; r++) {
      for (const d of rotation(o.designs, r)) {
        const before = o.pid ? cpuSeconds(o.pid) : 0;
        const s = await stream(d, count);
        const used = o.pid ? cpuSeconds(o.pid) - before : NaN;
        const b = /** @type {(typeof by)[string]} */ (by[d]);
        b.cpuUsPerFrame.push((used / Math.max(1, s.framesReceived)) * 1e6);
        b.gapP99.push(quantile(s.gapsMs, 0.99));
        b.ttftP50.push(quantile(s.ttftMs, 0.5));
        b.merged += s.mergedLate;
        b.lost += s.lost;
        b.failed += s.failed;
        b.frames += s.framesExpected;
      }
      o.log(
        `    ${count} streams round ${r + 1}/${o.rounds}: ${o.designs
          .map((d) => {
            const b = /** @type {(typeof by)[string]} */ (by[d]);
            return `${d} ${b.cpuUsPerFrame.at(-1)?.toFixed(1)} µs/frame gap p99 ${b.gapP99.at(-1)?.toFixed(1)} ms`;
          })
          .join("; ")}`,
      );
    }
    const native = /** @type {(typeof by)[string]} */ (by.native);
    out[String(count)] = Object.fromEntries(
      Object.entries(by).map(([d, b]) => [
        d,
        {
          cpuUsPerFrame: spread(b.cpuUsPerFrame),
          cpuUsPerFrameOverNative: paired(b.cpuUsPerFrame, native.cpuUsPerFrame, (x, y) => x - y),
          gapP99: spread(b.gapP99),
          gapP99OverNative: paired(b.gapP99, native.gapP99, (x, y) => x - y),
          ttftP50: spread(b.ttftP50),
          merged: b.merged,
          lost: b.lost,
          failedStreams: b.failed,
          frames: b.frames,
        },
      ]),
    );
  }
  return out;
}
