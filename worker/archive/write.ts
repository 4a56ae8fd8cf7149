/**
 * The archive writer the outcome consumer calls before it writes D1: one
 * gzip NDJSON object per (route, UTC hour) group of the batch (`layout.ts`),
 * put in parallel, a few at a time. A put that fails rejects the whole call,
 * and the consumer retries the batch without writing D1, so the archive never
 * misses an event the rollups count. Objects are never deleted here: keep or
 * expire them with an R2 lifecycle rule (README "Storage", R2).
 */
import type { OutcomeEvent } from "../../contracts/outcome";
import { groupEvents, objectKey, type ArchiveGroup } from "./layout";
import { encodeNdjson, NDJSON_TYPE } from "../../contracts/outcome-ndjson";
import { gzipText } from "./ndjson";

/** Puts in flight at once: a Worker has six simultaneous connections. */
const PARALLEL_PUTS = 4;

export interface ArchiveResult {
  objects: number;
  /** Compressed bytes written. */
  bytes: number;
}

/** What an object's custom metadata says, read back by `read.ts` when listing. */
export interface ObjectMeta {
  count: string;
  minTs: string;
  maxTs: string;
}

async function putGroup(bucket: R2Bucket, group: ArchiveGroup): Promise<number> {
  const body = await gzipText(encodeNdjson(group.events));
  const meta: ObjectMeta = {
    count: String(group.events.length),
    minTs: String(group.events[0]!.ts),
    maxTs: String(group.events[group.events.length - 1]!.ts),
  };
  await bucket.put(await objectKey(group), body, {
    // The object is stored compressed: a plain GET answers with the gzip bytes
    // and Content-Encoding, which HTTP clients decode transparently.
    httpMetadata: { contentType: NDJSON_TYPE, contentEncoding: "gzip" },
    customMetadata: { ...meta },
  });
  return body.byteLength;
}

/**
 * Archives a batch's events; rejects if any put fails.
 *
 * @example
 * const { objects, bytes } = await archiveEvents(env.ARCHIVE, events);
 */
export async function archiveEvents(
  bucket: R2Bucket,
  events: readonly OutcomeEvent[],
): Promise<ArchiveResult> {
  const groups = groupEvents(events);
  let next = 0;
  let bytes = 0;
  const worker = async () => {
    while (next < groups.length) bytes += await putGroup(bucket, groups[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_PUTS, groups.length) }, worker));
  return { objects: groups.length, bytes };
}

/**
 * The consumer's archive step for `env`: null when `OUTCOME_ARCHIVE` is
 * "off" or no `ARCHIVE` bucket is bound (the off switch for deployments that
 * keep no raw data).
 */
export function outcomeArchive(
  env: Partial<Pick<Env, "ARCHIVE" | "OUTCOME_ARCHIVE">>,
): ((events: readonly OutcomeEvent[]) => Promise<ArchiveResult>) | null {
  const bucket = env.ARCHIVE;
  if (!bucket || env.OUTCOME_ARCHIVE === "off") return null;
  return (events) => archiveEvents(bucket, events);
}
