/**
 * `GET /admin/archive/outcomes?route=&since=&until=&cursor=`: the outcome
 * archive in R2, read back one page at a time (`archive/read.ts`) and
 * streamed as NDJSON, so `llm-canary export --from r2` reads the same events
 * locally and from a deployed edge without R2 credentials of its own.
 */
import { Hono } from "hono";
import { ARCHIVE_CURSOR_HEADER } from "../../contracts/admin-api";
import type { OutcomeEvent } from "../../contracts/outcome";
import { NDJSON_TYPE } from "../../contracts/outcome-ndjson";
import { firstArchivedHour, readArchivePage } from "../archive/read";
import { ApiError } from "../errors";
import type { AdminEnv } from "./context";
import { parseWith, validationError } from "./request";
import { ADMIN_API, on } from "./api";

export const archiveRoutes = new Hono<AdminEnv>();

/** Lines per chunk of the answer: large enough for few writes, small enough to start at once. */
const LINES_PER_CHUNK = 500;

function ndjsonStream(events: readonly OutcomeEvent[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i >= events.length) return controller.close();
      let chunk = "";
      for (const end = Math.min(i + LINES_PER_CHUNK, events.length); i < end; i++)
        chunk += `${JSON.stringify(events[i])}\n`;
      controller.enqueue(encoder.encode(chunk));
    },
  });
}

on(archiveRoutes, "/admin", ADMIN_API.archiveOutcomes, async (c) => {
  const q = parseWith(ADMIN_API.archiveOutcomes.query, c.req.query());
  const bucket = c.env.ARCHIVE as R2Bucket | undefined;
  if (!bucket)
    throw new ApiError(
      404,
      "not_found_error",
      "archive_not_bound",
      "No ARCHIVE bucket is bound to this Worker (wrangler.toml [[r2_buckets]]).",
    );
  const until = q.until ?? Date.now();
  if (q.since !== undefined && q.since >= until)
    throw validationError(["since: must be before until"]);
  if (q.cursor !== undefined && (q.cursor > until || q.cursor < (q.since ?? 0)))
    throw validationError(["cursor: outside since..until"]);
  const start = q.cursor ?? q.since ?? (await firstArchivedHour(bucket, q.route)) ?? until;
  const page = await readArchivePage(bucket, { routeId: q.route, since: start, until });
  const headers: Record<string, string> = { "content-type": NDJSON_TYPE };
  if (page.next !== null) headers[ARCHIVE_CURSOR_HEADER] = String(page.next);
  return c.body(ndjsonStream(page.events), 200, headers);
});
