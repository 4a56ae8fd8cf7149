// @ts-check
/**
 * Streaming through the router vs the bare Worker vs straight to the origin:
 * the origin sends 64 content frames 20 ms apart; per round and target, N
 * streams at once. Time to first token, gaps between frames, frames lost or
 * delivered merged with their predecessor.
 */
import { quantile, rotation, spread } from "../lib/stats.mjs";
import { runStreams } from "../lib/stream-client.mjs";

/**
 * @param {Array<{ name: string, url: string, headers?: Record<string, string>, body: string }>} targets
 * @param {{ counts: number[], rounds: number, frames: number, intervalMs: number,
 *   log: (s: string) => void }} o
 */
export async function streaming(targets, o) {
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const count of o.counts) {
    /** @type {Record<string, Array<import("../lib/stream-client.mjs").StreamStats>>} */
    const byTarget = Object.fromEntries(targets.map((t) => [t.name, []]));
    // Warm-up: a few streams per target.
    for (const t of targets)
      await runStreams({ ...t, count: 4, expectFrames: o.frames, mergedMs: o.intervalMs / 4 });
    for (let r = 0; r < o.rounds; r++) {
      for (const t of rotation(targets, r)) {
        const s = await runStreams({
          ...t,
          count,
          expectFrames: o.frames,
          mergedMs: o.intervalMs / 4,
        });
        byTarget[t.name]?.push(s);
      }
      o.log(
        `    ${count} streams round ${r + 1}/${o.rounds}: ${targets
          .map((t) => {
            const s = byTarget[t.name]?.at(-1);
            return s
              ? `${t.name} ttft p50 ${quantile(s.ttftMs, 0.5).toFixed(2)} ms, gap p99 ${quantile(s.gapsMs, 0.99).toFixed(2)} ms, lost ${s.lost}, merged ${s.mergedLate}, failed ${s.failed}`
              : t.name;
          })
          .join("; ")}`,
      );
    }
    out[String(count)] = Object.fromEntries(
      Object.entries(byTarget).map(([name, runs]) => [
        name,
        {
          ttftP50: spread(runs.map((s) => quantile(s.ttftMs, 0.5))),
          gapP50: spread(runs.map((s) => quantile(s.gapsMs, 0.5))),
          gapP99: spread(runs.map((s) => quantile(s.gapsMs, 0.99))),
          framesExpected: runs.reduce((a, s) => a + s.framesExpected, 0),
          framesReceived: runs.reduce((a, s) => a + s.framesReceived, 0),
          lost: runs.reduce((a, s) => a + s.lost, 0),
          mergedLate: runs.reduce((a, s) => a + s.mergedLate, 0),
          failedStreams: runs.reduce((a, s) => a + s.failed, 0),
          errors: runs.flatMap((s) => s.errors).slice(0, 5),
        },
      ]),
    );
  }
  return out;
}
