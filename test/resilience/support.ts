/**
 * Shared helpers of the resilience suite (workerd side): routing configs on
 * the simulated origins, a bounded-concurrency driver, SSE parsing, waiting
 * for outcomes to reach D1 through the real queue, and scans of everything
 * the system wrote (responses, logs, D1) for strings that must not be there.
 */
import { env, SELF } from "cloudflare:test";
import { vi } from "vitest";
import type { RoutingConfigInput } from "../../contracts/config";
import { rolloutTraffic } from "../fixtures/analyzer";
import { LOG_EVERYTHING } from "../fixtures/config";
import { simRelease } from "../fixtures/edge";

export const EDGE_URL = "http://edge.test/v1/chat/completions";

type Behaviour = Record<string, string | number | boolean>;
type RouteInput = RoutingConfigInput["routes"][number];

export interface SimConfigOptions {
  weight?: number;
  canary?: Behaviour;
  stable?: Behaviour;
  settings?: RoutingConfigInput["settings"];
  route?: Partial<RouteInput>;
  version?: number;
  evaluators?: RoutingConfigInput["evaluators"];
  /** Whether the releases get origin keys (default true; false: the relay's native path). */
  originKeys?: boolean;
}

/** One route (`gpt-test`) whose releases are the simulated origins, tagged for this test. */
export function simConfig(tag: string, o: SimConfigOptions = {}): RoutingConfigInput {
  return {
    version: o.version ?? 1,
    settings: { logging: LOG_EVERYTHING, ...o.settings },
    ...(o.evaluators ? { evaluators: o.evaluators } : {}),
    routes: [
      {
        id: "chat",
        models: ["gpt-test"],
        stable: simRelease("stable", tag, o.stable, { key: o.originKeys ?? true }),
        canary: simRelease("canary", tag, o.canary, { key: o.originKeys ?? true }),
        weight: o.weight ?? 100,
        ...o.route,
      },
    ],
  };
}

export type PostInit = RequestInit & { cf?: Record<string, unknown> };

/** POST to the edge's chat completions endpoint through the runtime (`SELF`). */
export function post(body: BodyInit, init: PostInit = {}): Promise<Response> {
  return SELF.fetch(EDGE_URL, {
    method: "POST",
    body,
    ...init,
    headers: { "content-type": "application/json", ...init.headers },
  });
}

/** Runs `fn(0..n-1)` with at most `concurrency` calls in flight; results in index order. */
export async function pool<T>(
  n: number,
  concurrency: number,
  fn: (i: number) => Promise<T>,
): Promise<T[]> {
  const out = new Array<T>(n);
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const i = next++;
      out[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, lane));
  return out;
}

export interface SseEvent {
  event: string | null;
  data: string;
}

/** The events of an SSE text (comments dropped). */
export function sseEvents(text: string): SseEvent[] {
  return text
    .split(/\n\n/)
    .map((block) => block.split("\n").filter((l) => l.length > 0 && !l.startsWith(":")))
    .filter((lines) => lines.length > 0)
    .map((lines) => ({
      event:
        lines
          .find((l) => l.startsWith("event:"))
          ?.slice(6)
          .trim() ?? null,
      data: lines
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trimStart())
        .join("\n"),
    }));
}

/** Content deltas of a chat completions stream, in order. */
export function contentDeltas(events: readonly SseEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (e.event !== null || e.data === "[DONE]") continue;
    try {
      const v = JSON.parse(e.data) as { choices?: Array<{ delta?: { content?: unknown } }> };
      const c = v.choices?.[0]?.delta?.content;
      if (typeof c === "string" && c.length > 0) out.push(c);
    } catch {
      // not JSON: not a content delta
    }
  }
  return out;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every 100 ms until it returns a non-null value or `timeoutMs` passes. */
export async function waitFor<T>(
  probe: () => Promise<T | null | undefined>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null && v !== undefined) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

export interface OutcomeRowView {
  request_id: string;
  variant: string;
  release_id: string;
  status: number;
  error_class: string | null;
  failover: number;
  stream: number;
  stream_completed: number | null;
  cohort: string | null;
  keyed: number;
  metrics: string;
}

/** Outcome rows of these request ids (at most one each: the id is the primary key). */
export async function outcomesOf(ids: readonly string[]): Promise<OutcomeRowView[]> {
  const { results } = await env.DB.prepare(
    "select * from outcomes where request_id in (select value from json_each(?1))",
  )
    .bind(JSON.stringify(ids))
    .all<OutcomeRowView>();
  return results;
}

/**
 * Waits until every id has its outcome row in D1 (the real queue delivers in
 * batches); after `timeoutMs` returns the rows that did arrive, so that the
 * caller's count assertion says how many are missing.
 */
export async function waitForOutcomes(
  ids: readonly string[],
  timeoutMs = 15_000,
): Promise<OutcomeRowView[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await outcomesOf(ids);
    if (rows.length >= ids.length || Date.now() > deadline) return rows;
    await sleep(100);
  }
}

/** The value of a metric in an outcome row's `[metric, value, bin]` triples. */
export function metricOf(row: OutcomeRowView, name: string): number | undefined {
  const triples = JSON.parse(row.metrics) as Array<[string, number, number | null]>;
  return triples.find(([m]) => m === name)?.[1];
}

/** Number of rows of a query returning `n`. */
export async function count(query: string, ...params: unknown[]): Promise<number> {
  const row = await env.DB.prepare(query)
    .bind(...params)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** Every row of every application table, one JSON text per row, labelled with its table. */
export async function allD1Rows(): Promise<Array<{ table: string; text: string }>> {
  const tables = await env.DB.prepare(
    "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '_cf_%'",
  ).all<{ name: string }>();
  const out: Array<{ table: string; text: string }> = [];
  for (const { name } of tables.results) {
    const rows = await env.DB.prepare(`select * from "${name}"`).all();
    for (const r of rows.results) out.push({ table: name, text: JSON.stringify(r) });
  }
  return out;
}

const LEVELS = ["log", "info", "warn", "error", "debug"] as const;

export interface CapturedConsole {
  lines: () => string[];
  restore: () => void;
}

/**
 * Records (and silences) every console line of all levels written in this
 * isolate, which in the Workers Vitest integration includes the Worker's own
 * logs. Faults make the edge log a lot, on purpose.
 */
export function captureConsole(): CapturedConsole {
  const spies = LEVELS.map((level) => vi.spyOn(console, level).mockImplementation(() => {}));
  return {
    lines: () =>
      spies.flatMap((s) =>
        s.mock.calls.map((args) =>
          args.map((a) => (typeof a === "string" ? a : safeJson(a))).join(" "),
        ),
      ),
    restore: () => spies.forEach((s) => s.mockRestore()),
  };
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (x instanceof Error ? String(x.stack) : x));
  } catch {
    return String(v);
  }
}

/** Which of `needles` occur in `text`. */
export function found(text: string, needles: readonly string[]): string[] {
  return needles.filter((n) => text.includes(n));
}

export { MIN, T0 } from "../fixtures/analyzer";

/**
 * Healthy, identical arms over minutes [from, to): `perMinute` requests a
 * minute, every `1 / canaryShare`-th of them on the canary, with repeatable ids.
 */
export const traffic = (fromMin: number, toMin: number, perMinute: number, canaryShare = 0.1) =>
  rolloutTraffic(fromMin, toMin, perMinute, { canaryShare, idPrefix: "t" });

/** Forgets the config history, decisions and runs, keeping outcomes and rollups. */
export async function resetConfigHistory(): Promise<void> {
  await env.DB.batch(
    ["config_versions", "releases", "decisions", "analyzer_runs"].map((t) =>
      env.DB.prepare(`delete from ${t}`),
    ),
  );
  const keys = await env.CONFIG.list();
  await Promise.all(keys.keys.map((k) => env.CONFIG.delete(k.name)));
}
