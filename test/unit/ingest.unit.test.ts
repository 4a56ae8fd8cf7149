import { rollupDims } from "../../contracts/dims";
import { getTableColumns } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { outcomes } from "../../contracts/db/schema";
import { binIndex } from "../../contracts/sketch";
import { retryDelaySeconds } from "../../worker/ingest/backoff";
import {
  DEAD_LETTER_BODY_MAX_BYTES,
  EXCEEDED_RETRIES,
  bodyText,
  toDeadLetter,
  truncateUtf8,
} from "../../worker/ingest/dead-letter";
import { rollupIncrements } from "../../worker/ingest/aggregate";
import { metricTriples } from "../../contracts/rollup";
import { rollupMinute } from "../../contracts/minute";
import { rowsJsonChunks, toIngestRow, toOutcomeRow } from "../../worker/ingest/rows";
import { summarizeErrors, validateOutcome } from "../../worker/ingest/validate";
import { makeOutcome } from "../fixtures/outcome";

const utf8Bytes = (s: string) => new TextEncoder().encode(s).length;

describe("metricTriples", () => {
  it("bins sketched metrics only, sorted by name", () => {
    expect(metricTriples({ requests: 1, ttft_ms: 80, error: 0, latency_ms: 120 })).toEqual([
      ["error", 0, null],
      ["latency_ms", 120, binIndex(120)],
      ["requests", 1, null],
      ["ttft_ms", 80, binIndex(80)],
    ]);
  });

  it("uses the DDSketch bin ceil(log_gamma(v)), gamma = 1.01 / 0.99", () => {
    // Reference values computed independently: ceil(ln(v) / ln(1.01 / 0.99)).
    // ln(100) / ln(1.0202...) = 230.25 -> 231; ln(1000) / ... = 345.38 -> 346.
    const [[, , b100], [, , b1000]] = [
      metricTriples({ latency_ms: 100 })[0]!,
      metricTriples({ latency_ms: 1000 })[0]!,
    ];
    expect(b100).toBe(231);
    expect(b1000).toBe(346);
  });

  it("is empty for no metrics", () => {
    expect(metricTriples({})).toEqual([]);
  });
});

describe("rollupMinute", () => {
  it("floors epoch milliseconds to minutes", () => {
    expect(rollupMinute(0)).toBe(0);
    expect(rollupMinute(59_999)).toBe(0);
    expect(rollupMinute(60_000)).toBe(1);
    expect(rollupMinute(Date.UTC(2026, 10, 27, 12, 0, 59, 999))).toBe(
      Date.UTC(2026, 10, 27, 12, 0) / 60_000,
    );
  });
});

describe("toOutcomeRow", () => {
  it("maps every column except the batch tag", () => {
    const row = toOutcomeRow(makeOutcome());
    const columns = Object.keys(getTableColumns(outcomes)).filter(
      (k) => k !== "ingestBatch" && k !== "ingestedAt",
    );
    expect(Object.keys(row).sort()).toEqual(columns.sort());
    expect(Object.values(row)).not.toContain(undefined);
  });

  it("derives minute, rollout id and metric triples", () => {
    const e = makeOutcome({
      requestId: "r-1",
      ts: 3 * 60_000 + 5,
      rolloutId: null,
      latencyMs: 250,
    });
    const row = toOutcomeRow(e);
    expect(row.requestId).toBe("r-1");
    expect(row.minute).toBe(3);
    expect(row.rolloutId).toBe("");
    expect(JSON.parse(row.metrics)).toEqual(metricTriples(e.metrics));
    expect(JSON.parse(row.metrics)).toContainEqual(["latency_ms", 250, binIndex(250)]);
  });

  it("keeps the rollout id when set", () => {
    expect(toOutcomeRow(makeOutcome({ rolloutId: "canary-v3" })).rolloutId).toBe("canary-v3");
  });
});

describe("rollupDims", () => {
  it("falls back per dimension for null values", () => {
    expect(rollupDims({ segment: null, country: null, cohort: null, requestClass: null })).toEqual([
      ["all", "*"],
      ["segment", "default"],
      ["country", "unknown"],
      ["cohort", "none"],
      ["class", "none"],
    ]);
  });

  it("uses the row's values when set", () => {
    expect(
      rollupDims({ segment: "eu-beta", country: "DE", cohort: "staff", requestClass: "batch" }),
    ).toEqual([
      ["all", "*"],
      ["segment", "eu-beta"],
      ["country", "DE"],
      ["cohort", "staff"],
      ["class", "batch"],
    ]);
  });
});

describe("rowsJsonChunks", () => {
  const rows = Array.from({ length: 40 }, (_, i) =>
    toOutcomeRow(makeOutcome({ requestId: `chunk-${i}`, model: "ü".repeat(i) })),
  );

  it("keeps every row, in order, within the byte limit", () => {
    const max = 4_000;
    const chunks = rowsJsonChunks(rows, max);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(utf8Bytes(c)).toBeLessThanOrEqual(max);
    const back = chunks.flatMap((c) => JSON.parse(c) as Array<{ requestId: string }>);
    expect(back.map((r) => r.requestId)).toEqual(rows.map((r) => r.requestId));
  });

  it("is one chunk when everything fits, and none for no rows", () => {
    expect(rowsJsonChunks(rows, 10_000_000)).toHaveLength(1);
    expect(rowsJsonChunks([], 1_000)).toEqual([]);
  });

  it("gives a row larger than the limit a chunk of its own", () => {
    const chunks = rowsJsonChunks(rows.slice(0, 3), 10);
    expect(chunks).toHaveLength(3);
  });
});

describe("validateOutcome", () => {
  it("accepts a valid event", () => {
    const e = makeOutcome();
    expect(validateOutcome(e)).toEqual({ ok: true, event: e });
  });

  it.each([
    ["a missing field", { requestId: undefined }, "requestId: "],
    ["a wrong type", { latencyMs: "fast" }, "latencyMs: "],
    ["a bad enum", { variant: "blue" }, "variant: "],
    ["a bad metric value", { metrics: { requests: Infinity } }, "metrics.requests: "],
    ["an unknown key", { extra: 1 }, "(root): "],
  ])("names the field for %s", (_, patch, prefix) => {
    const r = validateOutcome({ ...makeOutcome(), ...patch });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe("invalid_event");
    expect(r.errors.some((line) => line.startsWith(prefix))).toBe(true);
  });

  it("names the unknown key", () => {
    const r = validateOutcome({ ...makeOutcome(), extra: 1 });
    expect(!r.ok && r.errors.join()).toContain("extra");
  });

  it("rejects non-objects at the root", () => {
    const r = validateOutcome("not an event");
    expect(!r.ok && r.errors[0]).toMatch(/^\(root\): /);
  });
});

describe("summarizeErrors", () => {
  it("joins and caps the list", () => {
    expect(summarizeErrors(["a: x", "b: y"])).toBe("a: x; b: y");
    const many = Array.from({ length: 15 }, (_, i) => `f${i}: bad`);
    const s = summarizeErrors(many, 10);
    expect(s).toContain("f9: bad");
    expect(s).not.toContain("f10: bad");
    expect(s.endsWith("(5 more)")).toBe(true);
  });
});

describe("dead letters", () => {
  it("records why an invalid body failed", () => {
    const row = toDeadLetter({ id: "m1", body: { v: 2 } }, "dlq", 1234);
    expect(row).toMatchObject({ id: "m1", queue: "dlq", receivedAt: 1234, body: '{"v":2}' });
    expect(row.reason).toMatch(/^v: /);
    expect(row.reason).toContain("requestId: ");
  });

  it("records a valid body as having exceeded its retries", () => {
    const e = makeOutcome();
    const row = toDeadLetter({ id: "m2", body: e }, "dlq", 1);
    expect(row.reason).toBe(EXCEEDED_RETRIES);
    expect(JSON.parse(row.body)).toEqual(e);
  });

  it("cuts large bodies to 64 KiB", () => {
    const row = toDeadLetter({ id: "m3", body: { blob: "€".repeat(50_000) } }, "dlq", 1);
    expect(utf8Bytes(row.body)).toBeLessThanOrEqual(DEAD_LETTER_BODY_MAX_BYTES);
    expect(utf8Bytes(row.body)).toBeGreaterThan(DEAD_LETTER_BODY_MAX_BYTES - 3);
    expect(row.body.startsWith('{"blob":"€€')).toBe(true);
  });

  it("falls back to String() for bodies JSON cannot encode", () => {
    expect(bodyText(10n)).toBe("10");
    expect(bodyText(undefined)).toBe("undefined");
    expect(bodyText({ a: 1 })).toBe('{"a":1}');
  });
});

describe("truncateUtf8", () => {
  it("never splits a character", () => {
    expect(truncateUtf8("ab😀", 5)).toBe("ab");
    expect(truncateUtf8("ab😀", 6)).toBe("ab😀");
    expect(truncateUtf8("é".repeat(10), 5)).toBe("éé");
  });

  it("returns short text unchanged", () => {
    expect(truncateUtf8("hello", 100)).toBe("hello");
  });
});

describe("retryDelaySeconds", () => {
  it("doubles from 5 s and caps at 5 min", () => {
    expect([1, 2, 3, 4, 5].map(retryDelaySeconds)).toEqual([5, 10, 20, 40, 80]);
    expect(retryDelaySeconds(20)).toBe(300);
    expect(retryDelaySeconds(0)).toBe(5);
  });
});

describe("rollupIncrements", () => {
  const rows = [
    makeOutcome({ requestId: "a", latencyMs: 100, country: 'D"E\u0001', cohort: "beta" }),
    makeOutcome({ requestId: "b", latencyMs: 100, country: 'D"E\u0001' }),
    makeOutcome({ requestId: "c", latencyMs: 300, variant: "canary", releaseId: "canary-v2" }),
    makeOutcome({ requestId: "d", latencyMs: 50, step: 0 }),
  ].map(toIngestRow);
  const inc = rollupIncrements(rows);

  it("sums every metric per minute and dimension value, keys with any character intact", () => {
    const requests = inc.minuteSums.filter((r) => r.metric === "requests" && r.dim === "country");
    expect(Object.fromEntries(requests.map((r) => [`${r.variant}:${r.dimValue}`, r.n]))).toEqual({
      'stable:D"E\u0001': 2,
      "stable:DE": 1,
      "canary:DE": 1,
    });
    const latency = inc.minuteSums.find(
      (r) => r.metric === "latency_ms" && r.dim === "all" && r.variant === "stable",
    )!;
    expect(latency).toMatchObject({ n: 3, sum: 250, sumSq: 100 ** 2 * 2 + 50 ** 2 });
    expect(
      inc.minuteBins
        .filter((r) => r.metric === "latency_ms" && r.dim === "all" && r.variant === "stable")
        .map((r) => [r.bin, r.count])
        .sort((x, y) => x[0]! - y[0]!),
    ).toEqual([
      [binIndex(50), 1],
      [binIndex(100), 2],
    ]);
  });

  it("keeps step aggregates, with the sketch as one JSON object, only for rows in a step", () => {
    const stable = inc.steps.filter((r) => r.variant === "stable" && r.dim === "all");
    const requests = stable.find((r) => r.metric === "requests")!;
    expect(requests).toMatchObject({ step: rows[0]!.row.step, n: 2, bins: null });
    const latency = stable.find((r) => r.metric === "latency_ms")!;
    expect(JSON.parse(latency.bins!)).toEqual({ [String(binIndex(100))]: 2 });
    expect(inc.steps.every((r) => r.step === rows[0]!.row.step)).toBe(true);
    // One row per (variant, dim value, metric): no duplicates to upsert twice.
    const keys = inc.steps.map((r) => [r.variant, r.dim, r.dimValue, r.metric].join("|"));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("writes per-minute rows for the kept dimensions only, `all` always, and every step row", () => {
    const lean = rollupIncrements(rows, ["country"]);
    expect(new Set(lean.minuteSums.map((r) => r.dim))).toEqual(new Set(["all", "country"]));
    expect(lean.minuteSums).toEqual(
      inc.minuteSums.filter((r) => r.dim === "all" || r.dim === "country"),
    );
    expect(lean.minuteBins).toEqual(inc.minuteBins);
    expect(lean.steps).toEqual(inc.steps);
    expect(rollupIncrements(rows, []).minuteSums).toEqual(
      inc.minuteSums.filter((r) => r.dim === "all"),
    );
  });
});
