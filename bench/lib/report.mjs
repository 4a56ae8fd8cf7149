// @ts-check
/**
 * The benchmark's Markdown summary: the targets of issue 6 (and issue 3's
 * analyzer cost) with the measured value, the goal, met or missed by how
 * much, and for a miss the facts from the same run that explain it; then the
 * detail tables. Every number comes from the results object.
 */

/** @param {number} v @param {number} [d] */
const f = (v, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : "–");
/** @param {number} v */
const ms = (v) => `${f(v, v >= 100 ? 0 : 2)} ms`;
/** @param {number} v */
const signedMs = (v) => `${v >= 0 ? "+" : ""}${f(v, 2)} ms`;
/** @param {{ median: number, min: number, max: number } | undefined} s @param {(v: number) => string} fmt */
const sp = (s, fmt) => (s ? `${fmt(s.median)} (${fmt(s.min)} … ${fmt(s.max)})` : "–");

/**
 * @typedef {{ name: string, measured: string, goal: string, met: boolean | null, gap: string, cause: string }} Row
 */

/**
 * A row for an added latency with the goal "at most `limit` ms".
 * @param {string} name
 * @param {{ median: number, min: number, max: number }} spread
 * @param {number} limit
 * @param {string} cause
 * @returns {Row}
 */
function addedMs(name, spread, limit, cause) {
  const met = spread.median <= limit;
  return {
    name,
    measured: sp(spread, signedMs),
    goal: `≤ +${f(limit)} ms`,
    met,
    gap: met ? "" : `over by ${f(Math.abs(spread.median - limit))} ms`,
    cause,
  };
}

/**
 * A row for a ratio with the goal "at least `goal`×".
 * @param {string} name
 * @param {{ median: number, min: number, max: number }} spread
 * @param {number} goal
 * @param {string} cause
 * @returns {Row}
 */
function atLeast(name, spread, goal, cause) {
  const met = spread.median >= goal;
  return {
    name,
    measured: sp(spread, (v) => `${f(v)}×`),
    goal: `≥ ${f(goal, goal % 1 === 0 ? 0 : 2)}×`,
    met,
    gap: met ? "" : `short by ${f(goal - spread.median)}×`,
    cause,
  };
}

/** The two routers issue 15's targets are read on (the consumer apart, as on the platform). */
const PLATFORM_ROUTERS = [
  { key: "apart", target: "router-apart", label: "router with an origin key (scrubbing relay)" },
  { key: "open", target: "router-open", label: "router without an origin key (native relay)" },
];

/** @param {any} r results of run.mjs */
export function targetRows(r) {
  /** @type {Row[]} */
  const rows = [];
  const s = r.suites ?? {};
  const lat = s.latency?.derived;
  const add = (/** @type {Row} */ row) => rows.push(row);
  const missedBy = (
    /** @type {number} */ v,
    /** @type {number} */ goal,
    /** @type {string} */ unit,
  ) => `${f(Math.abs(v - goal))}${unit}`;

  const cpuRes = s.cpu?.results;
  if (lat) {
    const p50 = lat.routerMinusBareP50;
    const p99 = lat.routerMinusBareP99;
    const cause =
      `Of the router's extra time, outcome logging (hashing the prompt, building the event, queue send; ` +
      `the queue consumer's D1 writes run in the same workerd) accounts for ${signedMs(lat.loggingP50?.median)} p50; ` +
      `the rest is routing itself: reading the cached config, parsing the JSON body, assignment, header hygiene, ` +
      `the relay's stream inspection and quality signals.` +
      (cpuRes?.bare && cpuRes["router-nolog"]
        ? ` Routing costs ${ms(cpuRes["router-nolog"].median - cpuRes.bare.median)} of CPU per request (see CPU) but adds ` +
          `${signedMs((lat.routerMinusBareP50?.median ?? NaN) - (lat.loggingP50?.median ?? 0))} of latency: most of the ` +
          "added time is the request waiting between its sequential steps (config, body, upstream call through the " +
          "JavaScript relay, feedback token), not computing."
        : "");
    add(addedMs("Added latency p50 at c=1, router − bare Worker", p50, 0.3, cause));
    add(
      addedMs(
        "Added latency p99 at c=1, router − bare Worker",
        p99,
        1,
        "As for p50; in the tail, the queue consumer's D1 batches compete with requests for the same workerd.",
      ),
    );
    if (lat.loggingP50)
      add({
        name: "Cost of outcome logging, p50 at c=1 (on − off)",
        measured: sp(lat.loggingP50, signedMs),
        goal: "≤ +0.20 ms",
        met: lat.loggingP50.median <= 0.2,
        gap:
          lat.loggingP50.median <= 0.2
            ? ""
            : `over by ${missedBy(lat.loggingP50.median, 0.2, " ms")}`,
        cause:
          "With logging on, every request also hashes its prompt, builds the outcome event and sends it to the queue " +
          "inside waitUntil, and the consumer's D1 transactions run in the same process and thread pool.",
      });
  }
  if (lat?.apartMinusBareP50) {
    const apart =
      "The router with outcome logging on and the queue consumer in no process of its own (as on the platform, where it is an invocation apart; its cost is the ingest rows below).";
    add(
      addedMs(
        "Added latency p50 at c=1, router (consumer apart) − bare Worker",
        lat.apartMinusBareP50,
        0.3,
        apart,
      ),
    );
    add(
      addedMs(
        "Added latency p99 at c=1, router (consumer apart) − bare Worker",
        lat.apartMinusBareP99,
        1,
        apart,
      ),
    );
  }
  if (lat?.openMinusBareP50) {
    const open =
      "The consumer apart, on a route whose releases carry no origin key, so the answer takes the native relay; " +
      "the rest of the router's work (config, body parse, assignment, outcome event, feedback token) is the same.";
    add(
      addedMs(
        "Added latency p50 at c=1, router (consumer apart, no origin key) − bare Worker",
        lat.openMinusBareP50,
        0.3,
        open,
      ),
    );
    add(
      addedMs(
        "Added latency p99 at c=1, router (consumer apart, no origin key) − bare Worker",
        lat.openMinusBareP99,
        1,
        open,
      ),
    );
  }
  const t16 = s.throughput?.derived?.["16"];
  const cpuAll = s.cpu?.results;
  for (const p of PLATFORM_ROUTERS) {
    const over = t16?.[`${p.key}OverBare`];
    if (!over) continue;
    const own = cpuAll?.[p.target]?.median;
    const bound =
      own !== undefined && cpuAll?.bare
        ? ` CPU per request in the same run: ${ms(own)} vs the bare Worker's ${ms(cpuAll.bare.median)}, which bounds the ratio at about ${f(cpuAll.bare.median / own)}× while both are CPU-bound on one core.`
        : "";
    add(
      atLeast(
        `Throughput at c=16, ${p.label} / bare Worker`,
        over,
        0.6,
        `Zero origin delay: CPU-bound in workerd.${bound}`,
      ),
    );
    const pk = t16?.[`${p.key}OverPortkey`];
    if (pk)
      add(
        atLeast(
          `Throughput at c=16, ${p.label} / Portkey gateway`,
          pk,
          3,
          `Both CPU-bound on one core: the ratio is bounded by their CPU per request${cpuAll?.portkey && own !== undefined ? ` (Portkey ${ms(cpuAll.portkey.median)} vs ${ms(own)}: ${f(cpuAll.portkey.median / own)}×)` : ""}.`,
        ),
      );
  }
  for (const c of ["16", "64"]) {
    const t = s.throughput?.derived?.[c];
    if (!t) continue;
    const cpu = s.cpu?.results;
    const cpuFact = cpu
      ? ` CPU per request in the same run: router ${ms(cpu.router?.median)} (logging off ${ms(cpu["router-nolog"]?.median)}) vs bare ${ms(cpu.bare?.median)}; on its one pinned core the router saturates at about ${f(1000 / (cpu.router?.median ?? NaN), 0)} req/s, less what other processes take from that core.`
      : "";
    add({
      name: `Throughput at c=${c}, router / bare Worker`,
      measured: sp(t.routerOverBare, (v) => `${f(v)}×`),
      goal: "≥ 0.85×",
      met: t.routerOverBare.median >= 0.85,
      gap:
        t.routerOverBare.median >= 0.85
          ? ""
          : `short by ${missedBy(t.routerOverBare.median, 0.85, "×")}`,
      cause: `Throughput at zero origin delay is CPU-bound in workerd.${cpuFact}`,
    });
    if (t.routerOverPortkey)
      add({
        name: `Throughput at c=${c}, router / Portkey gateway`,
        measured: sp(t.routerOverPortkey, (v) => `${f(v)}×`),
        goal: "≥ 3×",
        met: t.routerOverPortkey.median >= 3,
        gap:
          t.routerOverPortkey.median >= 3
            ? ""
            : `short by ${missedBy(t.routerOverPortkey.median, 3, "×")}`,
        cause:
          "Both are CPU-bound on the same core here, so the ratio cannot exceed the ratio of their CPU per request" +
          (cpu?.portkey
            ? ` (Portkey ${ms(cpu.portkey.median)} vs router ${ms(cpu.router?.median)}: ${f(cpu.portkey.median / (cpu.router?.median ?? NaN))}×)`
            : "") +
          "; the router's includes logging every request to a queue and D1, which Portkey does not do.",
      });
  }
  const slow = s.slowOrigin?.derived;
  if (slow)
    add({
      name: "Throughput at c=64 with a 60 ms origin, router / direct",
      measured: sp(slow.routerOverDirect, (v) => `${f(v)}×`),
      goal: "≥ 0.95×",
      met: slow.routerOverDirect.median >= 0.95,
      gap:
        slow.routerOverDirect.median >= 0.95
          ? ""
          : `short by ${missedBy(slow.routerOverDirect.median, 0.95, "×")}`,
      cause:
        "At 64 connections and 60 ms the ceiling is about 1,067 req/s; the router's CPU per request (see CPU) " +
        "decides whether one workerd thread keeps up with that rate.",
    });
  const st = s.streaming?.derived;
  for (const c of Object.keys(st ?? {})) {
    const d = st[c];
    add({
      name: `Streaming, ${c} streams: added TTFT p50, router − direct`,
      measured: sp(d.ttft, signedMs),
      goal: "≤ +1.00 ms",
      met: d.ttft.median <= 1,
      gap: d.ttft.median <= 1 ? "" : `over by ${missedBy(d.ttft.median, 1, " ms")}`,
      cause:
        "The router's per-request work before its upstream call runs on one thread: when all streams open at " +
        "once they queue behind each other and the last ones start late (and, starting spread out, their frames " +
        `meet a less busy origin). The bare Worker adds ${signedMs(d.bareTtft?.median)}, the router with logging ` +
        `off ${signedMs(d.nologTtft?.median)}.`,
    });
    add({
      name: `Streaming, ${c} streams: added inter-chunk gap p99, router − direct`,
      measured: sp(d.gap, signedMs),
      goal: "≤ +2.00 ms",
      met: d.gap.median <= 2,
      gap: d.gap.median <= 2 ? "" : `over by ${missedBy(d.gap.median, 2, " ms")}`,
      cause:
        "This router's bench routes inject an origin key, so its answers take the scrubbing relay: a JavaScript " +
        "stream that reads, masks and forwards every chunk on the isolate's one thread (where, in this process, the " +
        "queue consumer's D1 writes also run). A route without an origin key takes the native relay (the " +
        "router-open rows and the relay design table); " +
        `the bare Worker (a native pipe) adds ${signedMs(d.bareGap?.median)}, the router with logging off ${signedMs(d.nologGap?.median)}.`,
    });
    add({
      name: `Streaming, ${c} streams: frames lost / merged late through the router`,
      measured: `${d.router.lost} lost, ${d.router.mergedLate} merged (direct: ${d.direct.lost}, ${d.direct.mergedLate})`,
      goal: "0 and 0",
      met: d.router.lost === 0 && d.router.mergedLate === 0,
      gap:
        d.router.lost === 0 && d.router.mergedLate === 0
          ? ""
          : `${d.router.lost} lost, ${d.router.mergedLate} merged of ${d.router.framesExpected} frames`,
      cause:
        (d.router.failedStreams > 0
          ? `Lost frames are whole streams that failed: ${d.router.failedStreams} streams through the router ` +
            `(${[...new Set(d.router.errors)].join(", ")}), none through the bare Worker or with logging off ` +
            `(${s.streaming?.results?.[c]?.["router-nolog"]?.failedStreams ?? "–"} failed). `
          : "") +
        "Merged frames: when the isolate's one thread is busy, its next read finds two origin frames waiting " +
        "and forwards them together" +
        (d.direct.mergedLate > 0
          ? "; some frames arrive merged straight from the origin too when the machine is busy (its timers fire late)."
          : "."),
    });
  }
  for (const c of Object.keys(st ?? {})) {
    const d = st[c];
    for (const p of PLATFORM_ROUTERS) {
      const o = d.overBare?.[p.target];
      if (!o) continue;
      const relay =
        p.key === "open"
          ? "The native relay: the client's bytes go through the runtime's pipe, and JavaScript reads a tee of them in slices every 100 ms (bench/README.md, relay designs); what remains is the router's per-request work and the tee."
          : "The scrubbing relay: every chunk passes through JavaScript to mask the origin key before the client sees it, which costs the per-chunk read and enqueue the relay design table measures (the pull-only row is the floor of any JavaScript relay).";
      if (c === "64") {
        add(addedMs(`Streaming, 64 streams: gap p99, ${p.label} − bare Worker`, o.gap, 2, relay));
        const allowed = Math.floor(o.frames * 0.01);
        add({
          name: `Streaming, 64 streams: frames merged late, ${p.label} − bare Worker`,
          measured: `${o.mergedOverBare >= 0 ? "+" : ""}${o.mergedOverBare} of ${o.frames} frames`,
          goal: `≤ +${allowed} (1% of frames)`,
          met: o.mergedOverBare <= allowed,
          gap: o.mergedOverBare <= allowed ? "" : `over by ${o.mergedOverBare - allowed} frames`,
          cause: relay,
        });
      } else {
        add(
          addedMs(`Streaming, ${c} streams: TTFT p50, ${p.label} − bare Worker`, o.ttft, 10, relay),
        );
        add(
          addedMs(`Streaming, ${c} streams: gap p99, ${p.label} − bare Worker`, o.gap, 10, relay),
        );
      }
    }
  }
  const cpu = s.cpu?.results;
  if (cpu?.router) {
    const own = cpu.router.median - (cpu.bare?.median ?? 0);
    add({
      name: "CPU per request in workerd, non-streaming (router process − bare process)",
      measured: `${ms(own)} (router ${ms(cpu.router.median)}, logging off ${ms(cpu["router-nolog"]?.median)}, bare ${ms(cpu.bare?.median)})`,
      goal: "< 0.50 ms (platform limit 10 ms)",
      met: own < 0.5,
      gap: own < 0.5 ? "" : `over by ${missedBy(own, 0.5, " ms")}`,
      cause:
        `Routing itself (logging off − bare) costs ${ms((cpu["router-nolog"]?.median ?? NaN) - (cpu.bare?.median ?? 0))}; ` +
        `outcome logging (on − off) ${ms(cpu.router.median - (cpu["router-nolog"]?.median ?? NaN))}, much of it the ` +
        "queue consumer's D1 writes for those requests, which on the platform are a separate, separately billed " +
        "invocation and D1's own work. Process CPU time also counts runtime work the platform does not bill to the Worker.",
    });
  }
  if (cpu?.["router-apart"]) {
    const own = cpu["router-apart"].median - (cpu.bare?.median ?? 0);
    add({
      name: "CPU per request in workerd, router with the consumer apart − bare",
      measured: `${ms(own)} (router-apart ${ms(cpu["router-apart"].median)}, bare ${ms(cpu.bare?.median)})`,
      goal: "≤ 0.30 ms",
      met: own <= 0.3,
      gap: own <= 0.3 ? "" : `over by ${missedBy(own, 0.3, " ms")}`,
      cause:
        `Routing itself (logging off − bare) costs ${ms((cpu["router-nolog"]?.median ?? NaN) - (cpu.bare?.median ?? 0))}; ` +
        `building and sending the outcome event (apart − logging off) ${ms(cpu["router-apart"].median - (cpu["router-nolog"]?.median ?? NaN))}, ` +
        "which includes Miniflare's in-process queue broker taking each message (platform work on Cloudflare)" +
        (cpu["bare-send"]
          ? `: the pass-through Worker sending one message of the same size per request costs ${ms(cpu["bare-send"].median - (cpu.bare?.median ?? NaN))} more than without, so the router's own share is about ${ms(own - (cpu["bare-send"].median - (cpu.bare?.median ?? NaN)))}.`
          : "."),
    });
  }
  if (cpu?.["router-open"]) {
    const own = cpu["router-open"].median - (cpu.bare?.median ?? 0);
    add({
      name: "CPU per request in workerd, router with the consumer apart and no origin key − bare",
      measured: `${ms(own)} (router-open ${ms(cpu["router-open"].median)}, bare ${ms(cpu.bare?.median)})`,
      goal: "≤ 0.30 ms",
      met: own <= 0.3,
      gap: own <= 0.3 ? "" : `over by ${missedBy(own, 0.3, " ms")}`,
      cause:
        `Against router-apart (${ms(cpu["router-apart"]?.median)}), the native relay saves ${ms((cpu["router-apart"]?.median ?? NaN) - cpu["router-open"].median)} per request; ` +
        "the rest is the router's own work before and after the origin call (see the latency rows and bench/profile.mjs)" +
        (cpu["bare-send"]
          ? `, and the local queue broker's ${ms(cpu["bare-send"].median - (cpu.bare?.median ?? NaN))} per message (bare-send − bare): without it, about ${ms(own - (cpu["bare-send"].median - (cpu.bare?.median ?? NaN)))}.`
          : "."),
    });
  }
  const ing = s.ingest?.results;
  if (ing) {
    const best = Math.max(
      ...Object.values(ing.byConcurrency ?? {}).map(
        (x) => /** @type {any} */ (x).eventsPerSecond.median,
      ),
    );
    const work =
      "Each batch is one D1 transaction: 100 outcome rows, an exactly-once check, then the batch's rollup " +
      "increments (aggregated in the consumer) upserted into rollup_metrics, rollup_bins and step_rollups, " +
      `whose sketches are merged in SQL; this run's ${ing.storedRows} events left ${ing.rollupMetricsRows} + ` +
      `${ing.rollupBinsRows} per-minute rollup rows. Writes to one D1 database are serialized, so more ` +
      "batches in flight do not add throughput.";
    const commit = ing.oneRowCommitMs?.median;
    const floor =
      commit !== undefined
        ? ` A D1 transaction writing one row takes ${ms(commit)} here (local D1 persists every commit to ` +
          `disk), which alone caps one consumer at ${f(100_000 / commit, 0)} events/s with batches of 100.`
        : "";
    const iso = ing.inIsolate?.eventsPerSecond;
    if (iso)
      add({
        name: "Ingest: the outcome consumer into local D1, batches of 100, in its own isolate",
        measured: `${sp(iso, (x) => f(x, 0))} events/s`,
        goal: "> 5,000 events/s (one queue's ceiling)",
        met: iso.median > 5000,
        gap: iso.median > 5000 ? "" : `short by ${f(5000 - iso.median, 0)} events/s`,
        cause: work + floor,
      });
    const cpuEvent = ing.inIsolate?.cpuMsPerEvent;
    if (cpuEvent)
      add({
        name: "Consumer CPU per outcome event, in its own isolate (workerd process CPU, local D1 included)",
        measured: `${sp(cpuEvent, (x) => f(x, 3))} ms`,
        goal: "reported (billed to the consumer's invocation, not to the request)",
        met: null,
        gap: "",
        cause:
          "On the platform D1's own work runs in D1, not in the consumer, so this is an upper bound of the consumer's CPU.",
      });
    const dispatch = ing.dispatchMsPerBatch?.median;
    add({
      name: "Ingest through Miniflare's queue dispatch, batches of 100 (best concurrency)",
      measured: `${f(best, 0)} events/s`,
      goal: "> 5,000 events/s (one queue's ceiling)",
      met: best > 5000,
      gap: best > 5000 ? "" : `short by ${f(5000 - best, 0)} events/s`,
      cause:
        (dispatch !== undefined
          ? `Handing one batch of 100 messages from Node to workerd costs ${ms(dispatch)} by itself ` +
            "(a batch for a queue the consumer does not serve, measured in the same run): Miniflare serializes " +
            "every message from Node into workerd. The consumer's own share is the in-isolate row. "
          : "") + work,
    });
  }
  const an = s.analyzer?.results;
  /** @param {{ bins: number, groups: number, groupBins: number }} b */
  const kb = (b) =>
    [b.bins, b.groups, b.groupBins].map((x) => `${(x / 1000).toFixed(0)} KB`).join(" / ");
  if (an) {
    const big = an.sizes?.[String(an.largest)];
    const small = an.sizes?.[String(an.smallest)];
    const rowsFact =
      big && small
        ? `readStep alone measures ${ms(big.readStepMs?.median)} at ${an.largest} requests. It reads the ` +
          `step's aggregates: ${small.rows.stepRollups} step_rollups rows (holding ${small.rows.stepBins} sketch ` +
          `bins) at ${an.smallest} requests and ${big.rows.stepRollups} rows (${big.rows.stepBins} bins) at ` +
          `${an.largest}; the row count is fixed by slices × metrics, only the JSON sketches grow (a bin per 2% of ` +
          "the values' range, so at most a few hundred per sketch)." +
          (big.rows.stepBytes && small.rows.stepBytes
            ? ` JSON bytes stored (sketches / unit-group sums / unit-group coarse bins): ${kb(small.rows.stepBytes)} ` +
              `at ${an.smallest} and ${kb(big.rows.stepBytes)} at ${an.largest}; the cron reads the coarse bins of ` +
              "quantile-judged metrics only."
            : "")
        : "";
    add({
      name: `Analyzer per route, 24-hour window: t(${an.largest}) / t(${an.smallest})`,
      measured: `${f(an.ratio)}×`,
      goal: "≤ 1.5×",
      met: an.ratio <= 1.5,
      gap: an.ratio <= 1.5 ? "" : `over by ${f(an.ratio - 1.5)}×`,
      cause: rowsFact,
    });
    if (big)
      add({
        name: `Analyzer per route, 24-hour window at ${an.largest} requests`,
        measured: sp(big.analyzeMs, ms),
        goal: "< 50 ms",
        met: big.analyzeMs.median < 50,
        gap:
          big.analyzeMs.median < 50 ? "" : `over by ${missedBy(big.analyzeMs.median, 50, " ms")}`,
        cause: rowsFact,
      });
  }
  return rows;
}

/** @param {any} r */
export function markdown(r) {
  const e = r.environment;
  const rows = targetRows(r);
  const lines = [
    `Run ${r.startedAt} (${r.mode}), commit \`${e.commit}\`${e.dirty ? " with uncommitted changes" : ""}, ${f(r.wallSeconds / 60, 1)} min.`,
    "",
    `Machine: ${e.machine.cores} × ${e.machine.cpu}, ${e.machine.memoryGiB} GiB, Linux ${e.machine.kernel}; ` +
      `Node ${e.versions.node}, workerd ${e.versions.workerd}, Miniflare ${e.versions.miniflare}, wrangler ${e.versions.wrangler}, wrk ${e.versions.wrk ?? "–"}` +
      `${r.portkey?.version ? `, @portkey-ai/gateway ${r.portkey.version}` : ""}.`,
    "",
    `Absolute times are only comparable within one run on one machine. The machine is shared with other test runs ` +
      `(1-minute load average ${f(r.load.start, 1)} at the start, ${f(r.load.end, 1)} at the end, on ${e.machine.cores} cores): ` +
      `targets run in interleaved rounds (order rotated each round), figures are medians of round values with the rounds' range in parentheses, ` +
      `and ratios are taken per round before the median. ${r.pinning}`,
    "",
    "| target | measured | goal | result |",
    "| --- | --- | --- | --- |",
    ...rows.map(
      (x) =>
        `| ${x.name} | ${x.measured} | ${x.goal} | ${x.met === null ? "–" : x.met ? "met" : `**missed**: ${x.gap}`} |`,
    ),
    "",
  ];
  const missed = rows.filter((x) => x.met === false);
  if (missed.length > 0) {
    lines.push("### Missed targets: gap and cause", "");
    for (const x of missed) lines.push(`- **${x.name}**: ${x.measured}, ${x.gap}. ${x.cause}`);
    lines.push("");
  }
  for (const note of r.notes ?? []) lines.push(`> ${note}`, "");
  lines.push(...details(r));
  return lines.join("\n");
}

/**
 * The relay designs of bench/workers/relays.ts: what each is and which of the
 * relay's guarantees it keeps (error event on a cut or stall, key masking,
 * inspection for the outcome); the client-gone abort is the runtime's
 * cancellation in every design.
 * @type {Record<string, [string, string]>}
 */
const RELAY_DESIGNS = {
  native: ["the origin body returned as is (the floor)", "none"],
  "identity-pipe": [
    "native pipe into an IdentityTransformStream with preventClose",
    "error event (appendable); no masking, no inspection",
  ],
  "tee-only": ["identity-pipe + tee, the second branch drained, not parsed", "as identity-pipe"],
  "tee-inspect": [
    "identity-pipe + tee, the second branch inspected chunk by chunk",
    "error event, inspection; no masking",
  ],
  "tee-slices": [
    "as tee-inspect, reading at least 4 KiB per read (readAtLeast)",
    "error event, inspection; no masking; the tee then waits for 4 KiB before either branch gets a byte",
  ],
  "production-open": [
    "**production, no origin key** (`relay/native.ts`): identity-pipe + tee, inspected in slices every 100 ms after the first content, idle timer",
    "all (nothing to mask: no key went upstream)",
  ],
  "production-keyed": [
    "**production, origin key** (`relay/scrubbing.ts`): JavaScript reads the origin with a BYOB reader (each read takes all that is buffered), scrubs and inspects, writes into an IdentityTransformStream; idle timer",
    "all",
  ],
  "pull-only": [
    "JavaScript pull source: read and enqueue, nothing else",
    "none (floor of a JavaScript relay)",
  ],
  "pull-scrub": ["pull + key scrub", "masking"],
  "pull-scrub-inspect": [
    "pull + scrub + inspection, chunk by chunk (the scrubbing relay before the BYOB design, without its timer)",
    "masking, inspection, cut event",
  ],
  "pull-hwm4": ["as pull-scrub-inspect with highWaterMark 4", "as pull-scrub-inspect"],
  transform: ["the same work in a TransformStream (pipeThrough)", "as pull-scrub-inspect"],
  deferred: [
    "pull + scrub per chunk, inspection batched by a 50 ms timer",
    "as pull-scrub-inspect",
  ],
  "byob-pull": [
    "BYOB reads of all that is buffered, scrubbed and inspected per slice, through a pull source",
    "as pull-scrub-inspect",
  ],
  "identity-js": [
    "JavaScript reads and scrubs, writes into an IdentityTransformStream",
    "as pull-scrub-inspect",
  ],
};

/** @param {any} r */
function details(r) {
  const s = r.suites ?? {};
  const out = [];
  const table = (
    /** @type {string} */ title,
    /** @type {string[]} */ head,
    /** @type {string[][]} */ body,
  ) => {
    out.push(
      `#### ${title}`,
      "",
      `| ${head.join(" | ")} |`,
      `| ${head.map(() => "---").join(" | ")} |`,
    );
    for (const b of body) out.push(`| ${b.join(" | ")} |`);
    out.push("");
  };
  if (s.latency?.results)
    table(
      "Latency at concurrency 1 (zero-delay origin)",
      ["target", "p50", "p99", "req/s", "errors"],
      Object.entries(s.latency.results).map(([k, v]) => [
        k,
        sp(/** @type {any} */ (v).p50, ms),
        sp(/** @type {any} */ (v).p99, ms),
        f(/** @type {any} */ (v).rps.median, 0),
        String(/** @type {any} */ (v).errors),
      ]),
    );
  for (const [c, res] of Object.entries(s.throughput?.results ?? {}))
    table(
      `Throughput at concurrency ${c} (zero-delay origin)`,
      ["target", "req/s", "p50", "p99", "errors"],
      Object.entries(/** @type {any} */ (res)).map(([k, v]) => [
        k,
        sp(v.rps, (x) => f(x, 0)),
        ms(v.p50.median),
        ms(v.p99.median),
        String(v.errors),
      ]),
    );
  if (s.slowOrigin?.results)
    table(
      "Throughput at concurrency 64, 60 ms origin",
      ["target", "req/s", "p50", "p99", "errors"],
      Object.entries(s.slowOrigin.results).map(([k, v]) => [
        k,
        sp(/** @type {any} */ (v).rps, (x) => f(x, 0)),
        ms(/** @type {any} */ (v).p50.median),
        ms(/** @type {any} */ (v).p99.median),
        String(/** @type {any} */ (v).errors),
      ]),
    );
  for (const [c, res] of Object.entries(s.streaming?.results ?? {}))
    table(
      `Streaming, ${c} concurrent streams of 64 frames 20 ms apart`,
      [
        "target",
        "TTFT p50",
        "gap p50",
        "gap p99",
        "frames",
        "lost",
        "merged late",
        "failed streams",
      ],
      Object.entries(/** @type {any} */ (res)).map(([k, v]) => [
        k,
        sp(v.ttftP50, ms),
        ms(v.gapP50.median),
        sp(v.gapP99, ms),
        `${v.framesReceived}/${v.framesExpected}`,
        String(v.lost),
        String(v.mergedLate),
        String(v.failedStreams),
      ]),
    );
  for (const [c, res] of Object.entries(s.relay?.results ?? {}))
    table(
      `Relay designs, ${c} concurrent streams of 64 frames 20 ms apart (one workerd, bench/workers/relays.ts)`,
      [
        "design",
        "what it is",
        "keeps",
        "CPU µs per frame",
        "over native",
        "gap p99",
        "over native",
        "merged late",
        "TTFT p50",
        "failed",
      ],
      Object.entries(/** @type {any} */ (res)).map(([k, v]) => [
        k,
        ...(RELAY_DESIGNS[k] ?? ["–", "–"]),
        sp(v.cpuUsPerFrame, (x) => f(x, 1)),
        `+${f(v.cpuUsPerFrameOverNative.median, 1)}`,
        sp(v.gapP99, ms),
        signedMs(v.gapP99OverNative.median),
        `${v.merged} of ${v.frames}`,
        ms(v.ttftP50.median),
        String(v.failedStreams),
      ]),
    );
  if (s.cpu?.results)
    table(
      "CPU per request (process CPU time / requests, closed loop at 8 connections)",
      ["process", "CPU ms per request"],
      Object.entries(s.cpu.results).map(([k, v]) => [k, sp(/** @type {any} */ (v), ms)]),
    );
  if (s.ingest?.results)
    table(
      "Ingest: queue consumer into local D1, batches of 100",
      ["batches in flight", "events/s", "acked / sent"],
      [
        ...Object.entries(s.ingest.results.byConcurrency).map(([k, v]) => [
          `${k} (Miniflare queue dispatch)`,
          sp(/** @type {any} */ (v).eventsPerSecond, (x) => f(x, 0)),
          `${/** @type {any} */ (v).acked}/${/** @type {any} */ (v).sent}`,
        ]),
        ...(s.ingest.results.inIsolate
          ? [
              [
                "1 (in the consumer's own isolate)",
                sp(s.ingest.results.inIsolate.eventsPerSecond, (x) => f(x, 0)),
                "all",
              ],
            ]
          : []),
      ],
    );
  if (s.analyzer?.results) {
    const a = s.analyzer.results;
    table(
      "Analyzer: readStep + decide for one route, 24-hour window",
      [
        "requests",
        "rollup_metrics rows",
        "rollup_bins rows",
        "step_rollups rows (sketch bins)",
        "readStep + decide",
        "readStep alone",
        "round trip",
        "seeding",
      ],
      Object.entries(a.sizes).map(([k, v]) => [
        k,
        String(/** @type {any} */ (v).rows.rollupMetrics),
        String(/** @type {any} */ (v).rows.rollupBins),
        `${/** @type {any} */ (v).rows.stepRollups} (${/** @type {any} */ (v).rows.stepBins})`,
        sp(/** @type {any} */ (v).analyzeMs, ms),
        sp(/** @type {any} */ (v).readStepMs, ms),
        ms(/** @type {any} */ (v).roundTripMs.median),
        `${f(/** @type {any} */ (v).seedSeconds, 1)} s`,
      ]),
    );
    out.push(
      `Time is the round trip to the harness Worker minus a no-op round trip (${ms(a.noopMs)}). ` +
        "The analyzer reads only step_rollups; the per-minute tables are listed because ingest writes them too. " +
        `Seeding wrote the increments ingest computes, in slices of 25,000 events; on ${a.equivalence.events} events, against the real ingest path in batches of 1,000, both gave: ${a.equivalence.detail}.`,
      "",
    );
  }
  for (const [k, v] of Object.entries(s))
    if (/** @type {any} */ (v)?.error)
      out.push(`Suite **${k}** failed: ${/** @type {any} */ (v).error}`, "");
  return out;
}
