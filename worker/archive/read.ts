/**
 * The archive reader behind `GET /admin/archive/outcomes`: one page of a
 * route's archived events in [since, until), deduplicated and in (ts,
 * requestId) order, and where the next page starts. The plan of a page is
 * pure (`page.ts`); here are the R2 list and get calls. Empty hours are
 * skipped a bounded number at a time, so a sparse range of weeks answers
 * with an empty page and a cursor rather than hundreds of list calls.
 */
import type { OutcomeEvent } from "../../contracts/outcome";
import { HOUR_MS, hourOf, hourPrefix, routePrefix } from "./layout";
import { decodeNdjson } from "../../contracts/outcome-ndjson";
import { gunzipText } from "./ndjson";
import { dedupeWindow, planPage, type ListedObject } from "./page";

/** At most this many events per page (a few MB of JSON). */
export const PAGE_EVENTS = 5_000;
/** Hour prefixes listed per page before answering with a cursor. */
const HOURS_PER_PAGE = 48;
const PARALLEL_GETS = 4;

export interface ArchiveRange {
  routeId: string;
  /** Epoch ms, inclusive. */
  since: number;
  /** Epoch ms, exclusive. */
  until: number;
}

export interface ArchivePage {
  events: OutcomeEvent[];
  /** Where the next page starts (epoch ms), null after the last. */
  next: number | null;
}

/** An object that cannot be read back as events: a bug or a foreign write. */
export class ArchiveObjectError extends Error {}

const int = (s: string | undefined, fallback: number) => {
  const n = s === undefined ? NaN : Number(s);
  return Number.isSafeInteger(n) ? n : fallback;
};

async function listHour(bucket: R2Bucket, routeId: string, hour: number): Promise<ListedObject[]> {
  const out: ListedObject[] = [];
  let cursor: string | undefined;
  do {
    // `include` is honoured at this compatibility date; the default
    // workers-types entry point predates it.
    const options: R2ListOptions & { include: ["customMetadata"] } = {
      prefix: hourPrefix(routeId, hour),
      include: ["customMetadata"],
      ...(cursor ? { cursor } : {}),
    };
    const page = await bucket.list(options);
    for (const o of page.objects) {
      const m = o.customMetadata ?? {};
      // Without metadata an object might hold any ts of its hour: read it always.
      out.push({
        key: o.key,
        count: int(m.count, 0),
        minTs: int(m.minTs, hour),
        maxTs: int(m.maxTs, hour + HOUR_MS - 1),
      });
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return out;
}

async function readObject(bucket: R2Bucket, key: string): Promise<OutcomeEvent[]> {
  const obj = await bucket.get(key);
  // Listed a moment ago, gone now: only a lifecycle rule deletes, so the hour expired.
  if (!obj) return [];
  const decoded = decodeNdjson(await gunzipText(new Uint8Array(await obj.arrayBuffer())));
  if (!decoded.ok) throw new ArchiveObjectError(`${key}: ${decoded.errors.join("; ")}`);
  return decoded.events;
}

async function readAll(bucket: R2Bucket, keys: readonly string[]): Promise<OutcomeEvent[][]> {
  const out: OutcomeEvent[][] = new Array<OutcomeEvent[]>(keys.length);
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const i = next++;
      out[i] = await readObject(bucket, keys[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_GETS, keys.length) }, worker));
  return out;
}

/**
 * One page of the range, starting at `range.since`.
 *
 * @example
 * let page = await readArchivePage(env.ARCHIVE, { routeId: "chat", since, until });
 * while (page.next !== null) page = await readArchivePage(env.ARCHIVE, { routeId: "chat", since: page.next, until });
 */
export async function readArchivePage(
  bucket: R2Bucket,
  range: ArchiveRange,
  budget = PAGE_EVENTS,
): Promise<ArchivePage> {
  let start = range.since;
  for (let listed = 0; start < range.until && listed < HOURS_PER_PAGE; listed++) {
    const hour = hourOf(start);
    const end = Math.min(hour + HOUR_MS, range.until);
    const plan = planPage(await listHour(bucket, range.routeId, hour), start, end, budget);
    if (plan.keys.length > 0) {
      const events = dedupeWindow(await readAll(bucket, plan.keys), start, plan.end);
      return { events, next: plan.end < range.until ? plan.end : null };
    }
    start = end;
  }
  return { events: [], next: start < range.until ? start : null };
}

async function firstFolder(bucket: R2Bucket, prefix: string): Promise<string | null> {
  // Folders list in key order and dates and hours are zero-padded: the first is the oldest.
  const page = await bucket.list({ prefix, delimiter: "/", limit: 1 });
  return page.delimitedPrefixes[0] ?? null;
}

/**
 * The start of the oldest UTC hour archived for a route (null: none), from
 * two folder listings: where a read without `since` begins.
 */
export async function firstArchivedHour(bucket: R2Bucket, routeId: string): Promise<number | null> {
  const date = await firstFolder(bucket, routePrefix(routeId));
  const hour = date && (await firstFolder(bucket, date));
  const m = hour ? /date=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/$/.exec(hour) : null;
  return m ? Date.parse(`${m[1]}T${m[2]}:00:00Z`) : null;
}
