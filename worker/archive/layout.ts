/**
 * Where archived outcome events live in R2, without I/O. One object per
 * (route, UTC date, UTC hour) group of a consumer batch:
 *
 *   outcomes/route=<routeId url-encoded>/date=YYYY-MM-DD/hour=HH/<id>.ndjson.gz
 *
 * `<id>` is a content hash of the object's sorted request ids, so a batch the
 * queue redelivers as it was rewrites the same key with the same bytes
 * (idempotent by batch). A redelivery in another batch composition hashes to
 * another id and leaves a second copy of the event under the same hour
 * prefix: readers deduplicate by requestId within an hour prefix
 * (`page.ts`), which is what makes the archive exactly-once for them
 * (docs/archive.md).
 */
import type { OutcomeEvent } from "../../contracts/outcome";

export const ARCHIVE_ROOT = "outcomes/";
export const OBJECT_SUFFIX = ".ndjson.gz";
const HOUR_MS = 3_600_000;
/** Hex characters of the SHA-256 kept in a key: 128 bits. */
const ID_CHARS = 32;

/** Events of one object: same route and UTC hour, sorted by (ts, requestId). */
export interface ArchiveGroup {
  routeId: string;
  /** Epoch ms of the group's UTC hour start. */
  hour: number;
  events: OutcomeEvent[];
}

/** The start of `ts`'s UTC hour, epoch ms. */
export const hourOf = (ts: number): number => Math.floor(ts / HOUR_MS) * HOUR_MS;

/** The route's folder, e.g. `outcomes/route=chat%2Fv1/`. */
export function routePrefix(routeId: string): string {
  return `${ARCHIVE_ROOT}route=${encodeURIComponent(routeId)}/`;
}

/**
 * The folder of one UTC hour of a route, where every copy of an event lies.
 *
 * @example
 * hourPrefix("chat", Date.UTC(2026, 10, 27, 9, 30)); // "outcomes/route=chat/date=2026-11-27/hour=09/"
 */
export function hourPrefix(routeId: string, ts: number): string {
  const iso = new Date(hourOf(ts)).toISOString();
  return `${routePrefix(routeId)}date=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/`;
}

/** Orders events by (ts, requestId): the order inside objects and of every read. */
export function byTsThenId(a: OutcomeEvent, b: OutcomeEvent): number {
  if (a.ts !== b.ts) return a.ts - b.ts;
  return a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0;
}

/**
 * A batch split into one group per (route, UTC hour), groups in key order,
 * events sorted by (ts, requestId) in each, each request id once (the first
 * copy of the batch).
 *
 * @example
 * groupEvents([e9h, e10h, e9h2]).map((g) => g.events.length); // [2, 1]
 */
export function groupEvents(events: readonly OutcomeEvent[]): ArchiveGroup[] {
  const groups = new Map<string, ArchiveGroup>();
  const seen = new Set<string>();
  for (const e of events) {
    const key = hourPrefix(e.routeId, e.ts);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { routeId: e.routeId, hour: hourOf(e.ts), events: [] }));
    // A second send of one request in the same batch is stored once, as D1 does.
    if (!seen.has(e.requestId)) g.events.push(e);
    seen.add(e.requestId);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, g]) => ({ ...g, events: g.events.sort(byTsThenId) }));
}

/**
 * The content id of a set of request ids: SHA-256 (hex, first 32 characters)
 * of the sorted ids joined by newlines, so the input order does not matter.
 * Request ids are at most 128 characters without newlines in practice; a
 * newline inside one could only make two different sets collide, never one
 * set hash two ways.
 */
export async function contentId(requestIds: readonly string[]): Promise<string> {
  const text = [...requestIds].sort().join("\n");
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("")
    .slice(0, ID_CHARS);
}

/** The object key of a group: its hour prefix and the content id of its events. */
export async function objectKey(group: ArchiveGroup): Promise<string> {
  const id = await contentId(group.events.map((e) => e.requestId));
  return `${hourPrefix(group.routeId, group.hour)}${id}${OBJECT_SUFFIX}`;
}

export { HOUR_MS };
