/**
 * Reading the archive a page at a time, without I/O. A page is a time window
 * [start, end) inside one UTC hour of one route. Every copy of an event lies
 * under the hour prefix of its `ts`, and each object's metadata names the
 * first and last `ts` it holds, so reading every object of the hour whose
 * span overlaps the window yields every copy of every event in the window:
 * deduplicating by requestId there is exact (the dedupe-on-read rule,
 * docs/archive.md). The window ends where the next object would push the page
 * past its event budget, so one page stays well inside a Worker's memory and
 * CPU limits however busy the hour was.
 */
import type { OutcomeEvent } from "../../contracts/outcome";
import { byTsThenId } from "./layout";

/** An object of the hour as listed: its key and what its metadata says. */
export interface ListedObject {
  key: string;
  /** Events in the object. */
  count: number;
  /** Smallest and largest event `ts` in the object. */
  minTs: number;
  maxTs: number;
}

export interface PagePlan {
  /** Objects to read, in key order. */
  keys: string[];
  /** Exclusive end of the window the page covers (≤ the `end` asked). */
  end: number;
}

/**
 * The objects to read for the window starting at `start`, and where it ends.
 * Objects that start at or before `start` overlap any window and are always
 * read; then objects join in order of their first `ts` while the page's
 * event count stays within `budget`. The window always moves past `start`.
 *
 * @example
 * planPage([{ key: "a", count: 60, minTs: 0, maxTs: 9 }, { key: "b", count: 60, minTs: 5, maxTs: 20 }], 0, 100, 100);
 * // { keys: ["a"], end: 5 }
 */
export function planPage(
  objects: readonly ListedObject[],
  start: number,
  end: number,
  budget: number,
): PagePlan {
  const overlapping = objects
    .filter((o) => o.maxTs >= start && o.minTs < end)
    .sort((a, b) => a.minTs - b.minTs || (a.key < b.key ? -1 : 1));
  const keys: string[] = [];
  let events = 0;
  let windowEnd = end;
  for (const o of overlapping) {
    if (o.minTs > start && keys.length > 0 && events + o.count > budget) {
      windowEnd = o.minTs;
      break;
    }
    keys.push(o.key);
    events += o.count;
  }
  return { keys: keys.sort(), end: windowEnd };
}

/**
 * The events of a window, each once, in (ts, requestId) order: copies of one
 * request id (a redelivery archived in another batch) keep the first seen.
 *
 * @example
 * dedupeWindow([[e1, e2], [e2]], 0, Infinity); // [e1, e2]
 */
export function dedupeWindow(
  objects: readonly (readonly OutcomeEvent[])[],
  start: number,
  end: number,
): OutcomeEvent[] {
  const seen = new Map<string, OutcomeEvent>();
  for (const events of objects)
    for (const e of events)
      if (e.ts >= start && e.ts < end && !seen.has(e.requestId)) seen.set(e.requestId, e);
  return [...seen.values()].sort(byTsThenId);
}
