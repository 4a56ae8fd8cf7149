// @ts-check
/**
 * Ingest throughput: the router bundle's queue handler (the real outcome
 * consumer) fed batches of 100 valid outcome events through Miniflare, into
 * local D1 (outcomes plus rollups, one transaction per batch). Sequential
 * batches, then several in flight, as the platform's consumer concurrency
 * would deliver them. Each batch's events span 2 seconds (the consumer's
 * max_batch_timeout), consecutive batches consecutive spans. Then the same
 * consumer in an isolate of its own with batches built there (no dispatch
 * across processes), with the CPU time of that isolate's workerd process per
 * event (the consumer's own cost, which the platform bills as an invocation
 * apart from the requests'; local D1 runs in the same process here), and the
 * cost of Miniflare's dispatch of one batch.
 */
import { postJson } from "../lib/post.mjs";
import { cpuSeconds } from "../lib/procs.mjs";
import { spread } from "../lib/stats.mjs";

/**
 * @param {{ mf: import("miniflare").Miniflare, harnessUrl: string, harnessPid: number | null,
 *   traffic: typeof import("../workers/traffic").syntheticOutcomes,
 *   batches: number, concurrency: number[], rounds: number, log: (s: string) => void }} o
 */
export async function ingest(o) {
  const worker = await o.mf.getWorker();
  const db = await o.mf.getD1Database("DB");
  // A batch holds what the queue collected within the consumer's
  // max_batch_timeout (wrangler.toml: 2 s), so consecutive batches cover
  // consecutive 2-second spans, as live traffic would.
  const SPAN_MS = 2_000;
  const start = Date.now() - 3_600_000;
  let seq = 0;
  /** @param {number} n */
  const batch = (n) => {
    const id = `ingest-${seq++}`;
    const from = start + seq * SPAN_MS;
    const events = o.traffic(
      {
        n,
        from,
        to: from + SPAN_MS,
        step: start,
        seed: seq,
        routeId: "bench",
        stableId: "bench-stable",
        canaryId: "bench-canary",
        canaryShare: 0.05,
        idPrefix: id,
      },
      0,
      n,
    );
    return events.map((body, i) => ({
      id: `${id}-${i}`,
      timestamp: new Date(),
      attempts: 1,
      body,
    }));
  };
  // Warm-up.
  await worker.queue("llm-canary-outcomes", batch(100));
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const c of o.concurrency) {
    /** @type {number[]} */
    const rates = [];
    let acked = 0;
    let sent = 0;
    for (let r = 0; r < o.rounds; r++) {
      const work = Array.from({ length: o.batches }, () => batch(100));
      sent += work.length * 100;
      const t0 = performance.now();
      let next = 0;
      const lane = async () => {
        while (next < work.length) {
          const b = /** @type {ReturnType<typeof batch>} */ (work[next++]);
          const res = await worker.queue("llm-canary-outcomes", b);
          acked += res.ackAll ? b.length : (res.explicitAcks?.length ?? 0);
        }
      };
      await Promise.all(Array.from({ length: c }, lane));
      const seconds = (performance.now() - t0) / 1000;
      rates.push((o.batches * 100) / seconds);
      o.log(
        `    ${c} batch(es) in flight, round ${r + 1}/${o.rounds}: ${rates.at(-1)?.toFixed(0)} events/s`,
      );
    }
    out[String(c)] = { eventsPerSecond: spread(rates), sent, acked };
  }
  // The same consumer code in an isolate of its own, fed batches built there:
  // its throughput without Miniflare's cross-process dispatch of every batch.
  /** @type {number[]} */
  const isolated = [];
  /** @type {number[]} */
  const commits = [];
  /** @typedef {{ ms: number, acked: number, events: number, commitMs: number }} IsolateRun */
  // Warm-up round (compiles the consumer's code paths), not counted.
  await postJson(`${o.harnessUrl}/ingest?db=INGEST&batches=5&seq=1000000&start=${start}`);
  // Up to 20 batches per request, so no request runs for long; the time is
  // the consumer's, measured inside the Worker, summed over the requests.
  const PER_REQUEST = 20;
  /** @type {number[]} */
  const cpuPerEvent = [];
  for (let r = 0; r < o.rounds; r++) {
    const cpu0 = o.harnessPid !== null ? cpuSeconds(o.harnessPid) : NaN;
    let ms = 0;
    let events = 0;
    for (let done = 0; done < o.batches; done += PER_REQUEST) {
      const n = Math.min(PER_REQUEST, o.batches - done);
      const seq = r * o.batches + done;
      /** @type {IsolateRun} */
      const body = await postJson(
        `${o.harnessUrl}/ingest?db=INGEST&batches=${n}&seq=${seq}&start=${start}`,
      );
      if (body.acked !== body.events)
        throw new Error(`in-isolate ingest acked ${body.acked} of ${body.events}`);
      commits.push(body.commitMs);
      ms += body.ms;
      events += body.events;
    }
    isolated.push(events / (ms / 1000));
    if (o.harnessPid !== null)
      cpuPerEvent.push(((cpuSeconds(o.harnessPid) - cpu0) / events) * 1000);
    o.log(
      `    in the consumer's own isolate, round ${r + 1}/${o.rounds}: ${isolated.at(-1)?.toFixed(0)} events/s`,
    );
  }
  // What Miniflare's dispatch alone costs: a batch for a queue the consumer
  // does not serve (it only logs and retries every message).
  /** @type {number[]} */
  const dispatch = [];
  for (let i = 0; i < 10; i++) {
    const b = batch(100);
    const t0 = performance.now();
    await worker.queue("llm-canary-bench-unserved", b);
    dispatch.push(performance.now() - t0);
  }
  const count = async (/** @type {string} */ table) =>
    Number((await db.prepare(`SELECT count(*) AS n FROM ${table}`).first())?.n ?? 0);
  return {
    byConcurrency: out,
    inIsolate: {
      eventsPerSecond: spread(isolated),
      ...(cpuPerEvent.length > 0 ? { cpuMsPerEvent: spread(cpuPerEvent) } : {}),
      batches: o.batches,
      rounds: o.rounds,
    },
    oneRowCommitMs: spread(commits),
    dispatchMsPerBatch: spread(dispatch),
    batchSize: 100,
    storedRows: await count("outcomes"),
    rollupMetricsRows: await count("rollup_metrics"),
    rollupBinsRows: await count("rollup_bins"),
  };
}
