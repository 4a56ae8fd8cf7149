/**
 * `llm-canary export --from r2`: outcome events read from the R2 archive
 * through the admin API (`GET /admin/archive/outcomes`), page by page, and
 * written in the same shape (`export-rows.ts` `exportEvent`) and order as
 * the D1 export, so `analyze` and `backtest` cannot tell the two apart.
 *
 * Why the admin endpoint and not wrangler's `getPlatformProxy` over the
 * persisted local state: the endpoint is one path for `npm start`'s stack and
 * a deployed edge alike, needs no R2 API token beside the admin one, and keeps
 * the dedupe-on-read rule (docs/archive.md) in one place, the Worker. A proxy
 * would read only local state and would bundle wrangler into the CLI.
 */
import { ARCHIVE_CURSOR_HEADER } from "../contracts/admin-api";
import type { OutcomeEvent } from "../contracts/outcome";
import { decodeNdjson } from "../contracts/outcome-ndjson";
import type { AdminClient } from "./admin-client";
import { CliError } from "./output";

/** The events of one NDJSON page, validated line by line. Pure. */
export function parseArchivePage(text: string, where: string): OutcomeEvent[] {
  const r = decodeNdjson(text);
  if (!r.ok) throw new CliError(`${where}: ${r.errors.join("; ")}`, 1);
  return r.events;
}

/** One route's archived events in [since, until), page after page. */
export async function* archivedEvents(
  api: AdminClient,
  routeId: string,
  since: number | undefined,
  until: number,
): AsyncGenerator<OutcomeEvent> {
  let cursor: string | null = null;
  do {
    // Without `since` the edge starts at the route's oldest archived hour.
    const q = new URLSearchParams({ route: routeId, until: String(until) });
    if (since !== undefined) q.set("since", String(since));
    if (cursor !== null) q.set("cursor", cursor);
    const path = `/admin/archive/outcomes?${q}`;
    const { text, headers } = await api.getText(path, "application/x-ndjson");
    yield* parseArchivePage(text, path);
    cursor = headers.get(ARCHIVE_CURSOR_HEADER);
  } while (cursor !== null);
}

const before = (a: OutcomeEvent, b: OutcomeEvent) =>
  a.ts < b.ts || (a.ts === b.ts && a.requestId < b.requestId);

/**
 * Several (ts, requestId)-ordered sources merged into one such order, the
 * D1 export's; one page per source is held at a time.
 */
export async function* mergeOrdered(
  sources: readonly AsyncIterator<OutcomeEvent>[],
): AsyncGenerator<OutcomeEvent> {
  const heads = await Promise.all(sources.map((s) => s.next()));
  for (;;) {
    let min = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i]!;
      if (!h.done && (min < 0 || before(h.value, (heads[min] as { value: OutcomeEvent }).value)))
        min = i;
    }
    if (min < 0) return;
    yield (heads[min] as { value: OutcomeEvent }).value;
    heads[min] = await sources[min]!.next();
  }
}
