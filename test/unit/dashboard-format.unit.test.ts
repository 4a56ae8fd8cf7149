/** The dashboard client's formatting helpers (pure; the browser script uses them as is). */
import { describe, expect, it } from "vitest";
import type { VerdictView } from "../../contracts/admin-api";
import * as format from "../../worker/dashboard/client/format";

function verdict(effect: VerdictView["effect"], stat?: string): VerdictView {
  return {
    metric: "latency_ms",
    ...(stat ? { stat } : {}),
    slice: { dim: "all", value: "all" },
    verdict: "pass",
    stable: { n: 100, estimate: 1 },
    canary: { n: 10, estimate: 1 },
    effect,
  };
}

describe("dashboard format", () => {
  it("formats weights and significant digits", () => {
    expect(format.pct(12.5)).toBe("12.5%");
    expect(format.pct(1 / 3)).toBe("0.33%");
    expect(format.sig(0.012345)).toBe("0.0123");
    expect(format.sig(1234.6)).toBe("1235");
  });

  it("formats values in their units, and missing ones as ?", () => {
    expect(format.fmt(1234, "ms")).toBe("1.23 s");
    expect(format.fmt(250, "ms")).toBe("250 ms");
    expect(format.fmt(0.012, "ratio")).toBe("1.2%");
    expect(format.fmt(41.6, "requests")).toBe("42");
    expect(format.fmt(0.8766, "score")).toBe("0.877");
    for (const missing of [null, undefined, Number.NaN, Number.POSITIVE_INFINITY])
      expect(format.fmt(missing, "ms")).toBe("?");
    expect(format.unitCaption("ms")).toBe(" (ms)");
    expect(format.unitCaption("requests")).toBe(" per bucket");
    expect(format.unitCaption("score")).toBe(" (mean)");
  });

  it("formats times in UTC", () => {
    const t = Date.UTC(2026, 0, 2, 3, 4, 5);
    expect(format.time(t)).toBe("03:04");
    expect(format.stamp(t)).toBe("2026-01-02 03:04:05Z");
  });

  it("describes segment matches", () => {
    expect(format.describeMatch({})).toBe("(everything)");
    expect(format.describeMatch(undefined)).toBe("(everything)");
    expect(format.describeMatch({ countries: ["DE", "FR"], headers: { "x-tier": ["gold"] } })).toBe(
      "countries=DE,FR headers.x-tier=gold",
    );
    expect(format.describeMatch({ headers: { "x-tier": "gold" }, sampled: true })).toBe(
      "headers.x-tier=gold sampled=true",
    );
  });

  it("reads effects as percent changes, percentage points or signed values", () => {
    expect(
      format.effectText(verdict({ kind: "ratio", estimate: 1.3, lower: 1.1, upper: 1.5 })),
    ).toEqual(["+30.0%", "[+10.0%, +50.0%]"]);
    const rate = verdict(
      { kind: "difference", estimate: 0.02, lower: -0.001, upper: null },
      "rate",
    );
    expect(format.effectText(rate)).toEqual(["+2.00 pp", "[-0.10 pp, ?]"]);
    expect(
      format.effectText(verdict({ kind: "difference", estimate: -0.5, lower: -1, upper: 0 })),
    ).toEqual(["-0.5", "[-1, 0]"]);
    expect(
      format.effectText(verdict({ kind: "ratio", estimate: null, lower: null, upper: null })),
    ).toEqual(["–", ""]);
  });

  it("says whether a decision was written", () => {
    expect(format.decisionStatus({ dryRun: true, applied: false, changed: true })).toBe("dry run");
    expect(format.decisionStatus({ dryRun: false, applied: true, changed: true })).toBe("applied");
    expect(format.decisionStatus({ dryRun: false, applied: false, changed: true })).toBe(
      "not applied",
    );
    expect(format.decisionStatus({ dryRun: false, applied: false, changed: false })).toBe("");
  });

  it("draws chart paths, a single point as a tick", () => {
    const x = (t: number) => t * 10;
    const y = (v: number) => 100 - v;
    expect(format.pathFor([], x, y)).toBe("");
    expect(format.pathFor([{ t: 1, v: 50 }], x, y)).toBe("M6.0 50.0H14.0");
    expect(
      format.pathFor(
        [
          { t: 1, v: 50 },
          { t: 2, v: 25 },
        ],
        x,
        y,
      ),
    ).toBe("M10.0 50.0L20.0 75.0");
  });
});
