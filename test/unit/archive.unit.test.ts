/**
 * The outcome archive without R2: key layout (route encoding, UTC hours,
 * grouping, content ids independent of input order), the NDJSON and gzip
 * round trip, and the reader's pure rules (page plans, dedupe by requestId).
 */
import { describe, expect, it } from "vitest";
import type { OutcomeEvent } from "../../contracts/outcome";
import {
  contentId,
  groupEvents,
  hourPrefix,
  objectKey,
  routePrefix,
} from "../../worker/archive/layout";
import { decodeNdjson, encodeNdjson } from "../../contracts/outcome-ndjson";
import { gunzipText, gzipText } from "../../worker/archive/ndjson";
import { dedupeWindow, planPage } from "../../worker/archive/page";
import { HOUR, MIN, T0 } from "../fixtures/clock";
import { makeOutcome } from "../fixtures/outcome";

/** An hour start far from T0's, so UTC date and hour are known: 2026-11-27T23:00Z. */
const H = Date.UTC(2026, 10, 27, 23);

describe("archive key layout", () => {
  it("encodes the route id and names the UTC date and hour of ts", () => {
    expect(routePrefix("chat/v1 ü")).toBe("outcomes/route=chat%2Fv1%20%C3%BC/");
    expect(hourPrefix("chat", H + 59 * MIN + 59_999)).toBe(
      "outcomes/route=chat/date=2026-11-27/hour=23/",
    );
    expect(hourPrefix("chat", H + HOUR)).toBe("outcomes/route=chat/date=2026-11-28/hour=00/");
  });

  it("splits a batch into one group per route and hour, each sorted by (ts, requestId), each id once", () => {
    const events = [
      makeOutcome({ requestId: "b", ts: H + 5 }),
      makeOutcome({ requestId: "x", ts: H + HOUR }),
      makeOutcome({ requestId: "a", ts: H + 5 }),
      makeOutcome({ requestId: "c", ts: H + 1, routeId: "embed" }),
      makeOutcome({ requestId: "d", ts: H }),
      makeOutcome({ requestId: "a", ts: H + 5 }),
    ];
    const groups = groupEvents(events);
    expect(groups.map((g) => [g.routeId, g.hour, g.events.map((e) => e.requestId)])).toEqual([
      ["chat", H, ["d", "a", "b"]],
      ["chat", H + HOUR, ["x"]],
      ["embed", H, ["c"]],
    ]);
  });

  it("names an object by its request ids, whatever their order", async () => {
    const id = await contentId(["r-2", "r-1", "r-3"]);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(await contentId(["r-3", "r-1", "r-2"])).toBe(id);
    expect(await contentId(["r-1", "r-2"])).not.toBe(id);
    const events = [makeOutcome({ ts: H + 1 }), makeOutcome({ ts: H + 2 })];
    const [a] = groupEvents(events);
    const [b] = groupEvents([...events].reverse());
    expect(await objectKey(a!)).toBe(await objectKey(b!));
    expect(await objectKey(a!)).toMatch(
      /^outcomes\/route=chat\/date=2026-11-27\/hour=23\/[0-9a-f]{32}\.ndjson\.gz$/,
    );
  });
});

describe("archive objects", () => {
  it("round-trip through NDJSON and gzip, byte for byte on every encode", async () => {
    const events = Array.from({ length: 50 }, (_, i) =>
      makeOutcome({ requestId: `rt-${i}`, ts: T0 + i, rolloutId: i % 2 ? null : "canary-v2" }),
    );
    const text = encodeNdjson(events);
    expect(text.endsWith("\n")).toBe(true);
    const gz = await gzipText(text);
    expect([...(await gzipText(text))]).toEqual([...gz]);
    expect(gz.byteLength).toBeLessThan(text.length / 4);
    const decoded = decodeNdjson(await gunzipText(gz));
    expect(decoded).toEqual({ ok: true, events });
  });

  it("name the bad lines of an object that is not outcome events", () => {
    const good = JSON.stringify(makeOutcome());
    const r = decodeNdjson(`${good}\n{nope\n{"v":2}\n\n`);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors[0]).toBe("line 2: not JSON");
      expect(r.errors[1]).toMatch(/^line 3: /);
    }
  });
});

describe("archive reader rules", () => {
  const obj = (key: string, count: number, minTs: number, maxTs: number) => ({
    key,
    count,
    minTs,
    maxTs,
  });

  it("plans a window that holds every object overlapping it, within the budget", () => {
    const objects = [
      obj("c", 40, 30, 45),
      obj("a", 40, 0, 12),
      obj("b", 40, 10, 20),
      obj("old", 40, -100, -1),
    ];
    expect(planPage(objects, 0, 100, 1000)).toEqual({ keys: ["a", "b", "c"], end: 100 });
    // a and b fit; c would pass the budget: the window ends where c begins.
    expect(planPage(objects, 0, 100, 90)).toEqual({ keys: ["a", "b"], end: 30 });
    // Objects that start before the window are read whatever the budget.
    expect(planPage(objects, 11, 100, 10)).toEqual({ keys: ["a", "b"], end: 30 });
    expect(planPage(objects, 30, 100, 10)).toEqual({ keys: ["c"], end: 100 });
    expect(planPage(objects, 46, 100, 10)).toEqual({ keys: [], end: 100 });
  });

  it("keeps each request id once, in (ts, requestId) order, inside the window", () => {
    const e = (requestId: string, ts: number): OutcomeEvent => makeOutcome({ requestId, ts });
    const one = [e("b", 5), e("a", 5), e("z", 1)];
    const redelivered = [e("a", 5), e("q", 9), e("late", 30)];
    const out = dedupeWindow([one, redelivered], 0, 30);
    expect(out.map((x) => [x.requestId, x.ts])).toEqual([
      ["z", 1],
      ["a", 5],
      ["b", 5],
      ["q", 9],
    ]);
  });

  it("gives exactly the events of a whole range over consecutive pages", () => {
    // 300 events in 10 objects of overlapping spans; pages of at most ~70.
    const all: OutcomeEvent[][] = [];
    for (let k = 0; k < 10; k++)
      all.push(
        Array.from({ length: 30 }, (_, i) =>
          makeOutcome({ requestId: `p-${k}-${i}`, ts: k * 20 + i }),
        ),
      );
    // Object 10 redelivers half of object 3.
    all.push(all[3]!.slice(0, 15));
    const listed = all.map((events, i) =>
      obj(String(i).padStart(2, "0"), events.length, events[0]!.ts, events.at(-1)!.ts),
    );
    const byKey = new Map(listed.map((l, i) => [l.key, all[i]!]));
    const seen: string[] = [];
    let start = 0;
    let pages = 0;
    while (start < 1000) {
      const plan = planPage(listed, start, 1000, 70);
      expect(plan.end).toBeGreaterThan(start);
      const events = dedupeWindow(
        plan.keys.map((k) => byKey.get(k)!),
        start,
        plan.end,
      );
      seen.push(...events.map((x) => x.requestId));
      start = plan.end;
      pages += 1;
    }
    expect(pages).toBeGreaterThan(3);
    expect(seen).toHaveLength(300);
    expect(new Set(seen).size).toBe(300);
  });
});
