/** `export --from r2` without the edge: one export shape for both stores, page parsing, merging. */
import { describe, expect, it } from "vitest";
import { unitGroup } from "../../contracts/assignment";
import type { OutcomeEvent } from "../../contracts/outcome";
import { mergeOrdered, parseArchivePage } from "../../cli/export-archive";
import { exportEvent, rowToEvent } from "../../cli/export-rows";
import { makeOutcome } from "../fixtures/outcome";

/** The `outcomes` row D1 holds for `e` (worker/ingest/rows.ts, as wrangler returns it). */
function rowOf(e: OutcomeEvent): Record<string, unknown> {
  const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  const row: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) row[snake(k)] = typeof v === "boolean" ? (v ? 1 : 0) : v;
  row.rollout_id = e.rolloutId ?? "";
  row.unit = e.unit ?? unitGroup(e.requestId);
  row.metrics = JSON.stringify(
    Object.entries(e.metrics)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([n, v]) => [n, v, null]),
  );
  return row;
}

describe("export lines from either store", () => {
  it("are the same text for an archived event and its D1 row", () => {
    for (const e of [
      makeOutcome({ metrics: { requests: 1, latency_ms: 120, error: 0 }, unit: 7 }),
      makeOutcome({ rolloutId: null, stream: true, streamCompleted: false }),
    ]) {
      const fromR2 = JSON.stringify(exportEvent(e));
      expect(fromR2).toBe(JSON.stringify(exportEvent(rowToEvent(rowOf(e)))));
      expect(Object.keys(exportEvent(e).metrics)).toEqual(
        Object.keys(exportEvent(e).metrics).sort(),
      );
    }
    const noUnit = makeOutcome({ requestId: "u-1" });
    expect(exportEvent(noUnit).unit).toBe(unitGroup("u-1"));
  });

  it("parse a page and name a bad line", () => {
    const e = makeOutcome();
    expect(parseArchivePage(`${JSON.stringify(e)}\n\n`, "p")).toEqual([e]);
    expect(() => parseArchivePage(`${JSON.stringify(e)}\n{"v":1}\n`, "p")).toThrow(/p: line 2: /);
  });

  it("merge routes into (ts, requestId) order", async () => {
    async function* from(events: OutcomeEvent[]) {
      yield* events;
    }
    const a = [makeOutcome({ requestId: "a1", ts: 1 }), makeOutcome({ requestId: "a2", ts: 5 })];
    const b = [makeOutcome({ requestId: "b1", ts: 1 }), makeOutcome({ requestId: "b2", ts: 3 })];
    const out: string[] = [];
    for await (const e of mergeOrdered([from(a), from(b), from([])])) out.push(e.requestId);
    expect(out).toEqual(["a1", "b1", "b2", "a2"]);
  });
});
