/**
 * `load`: controlled traffic at an edge URL before (or during) a rollout. A
 * seeded mix of countries, cohorts, request classes, users and streams, at a
 * rate or a concurrency, for a duration or a count; a progress bar on stderr
 * and a latency/variant summary at the end (`--json` for machines).
 */
import { runLoad, type LoadOptions } from "../load/engine";
import { parseDuration, parseWeighted, type TrafficMix, type Weighted } from "../load/mix";
import type { LoadSummary, Quantiles } from "../load/stats";
import { bold, CliError, dim, green, progress, red, table } from "../output";

/** Flags of `load`, merged into the CLI's option table. */
export const LOAD_OPTIONS = {
  url: { type: "string" },
  model: { type: "string" },
  path: { type: "string" },
  rate: { type: "string" },
  concurrency: { type: "string" },
  duration: { type: "string" },
  count: { type: "string" },
  countries: { type: "string" },
  cohorts: { type: "string" },
  classes: { type: "string" },
  users: { type: "string" },
  stream: { type: "string" },
  timeout: { type: "string" },
  seed: { type: "string" },
  prompt: { type: "string" },
  header: { type: "string", multiple: true },
  "fail-on-error": { type: "boolean", default: false },
} as const;

export const LOAD_HELP = `  load [--url URL] [--model ALIAS] [--rate N | --concurrency N] [--duration 30s | --count N]
       [--countries US:40,DE:25] [--cohorts internal:5,-:95] [--classes chat:9,batch:1]
       [--users N] [--stream 0.2] [--header k:v]... [--seed N] [--timeout 30s] [--fail-on-error]
                        drive a traffic mix at an edge and summarize latency and variants`;

export interface LoadFlags {
  url?: string;
  model?: string;
  path?: string;
  rate?: string;
  concurrency?: string;
  duration?: string;
  count?: string;
  countries?: string;
  cohorts?: string;
  classes?: string;
  users?: string;
  stream?: string;
  timeout?: string;
  seed?: string;
  prompt?: string;
  header?: string[];
  "fail-on-error"?: boolean;
  json?: boolean;
}

function num(value: string | undefined, flag: string, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new CliError(`--${flag} must be a number ≥ ${min}`, 2);
  return n;
}

function weighted(value: string | undefined, flag: string): Weighted[] {
  if (value === undefined) return [];
  const r = parseWeighted(value);
  if (!r.ok) throw new CliError(`--${flag}: ${r.error}`, 2);
  return r.value;
}

function duration(value: string, flag: string): number {
  const r = parseDuration(value);
  if (!r.ok) throw new CliError(`--${flag}: ${r.error}`, 2);
  return r.value;
}

/** The engine's options from the flags (defaults: 10 s at concurrency 8). Throws on bad input. */
export function loadOptionsFrom(f: LoadFlags, env: NodeJS.ProcessEnv = {}): LoadOptions {
  const url = f.url ?? env.LLM_CANARY_URL ?? "http://127.0.0.1:8787";
  try {
    new URL(url);
  } catch {
    throw new CliError(`--url must be a URL, got "${url}"`, 2);
  }
  const headers: Record<string, string> = {};
  for (const h of f.header ?? []) {
    const at = h.indexOf(":");
    if (at <= 0) throw new CliError(`--header must be name:value, got "${h}"`, 2);
    headers[h.slice(0, at).trim().toLowerCase()] = h.slice(at + 1).trim();
  }
  const mix: TrafficMix = {
    countries: weighted(f.countries, "countries"),
    cohorts: weighted(f.cohorts, "cohorts"),
    classes: weighted(f.classes, "classes"),
    users: Math.floor(num(f.users, "users", 0, 1000)),
    streamShare: num(f.stream, "stream", 0, 0),
  };
  if (mix.streamShare > 1) throw new CliError("--stream is a share between 0 and 1", 2);
  const count = f.count !== undefined ? Math.floor(num(f.count, "count", 1, 1)) : undefined;
  const durationMs =
    f.duration !== undefined
      ? duration(f.duration, "duration")
      : count === undefined
        ? 10_000
        : undefined;
  const rate = f.rate !== undefined ? num(f.rate, "rate", 0.001, 1) : undefined;
  return {
    url,
    path: f.path ?? "/v1/chat/completions",
    model: f.model ?? "gpt-4o-mini",
    mix,
    concurrency: Math.floor(num(f.concurrency, "concurrency", 1, rate !== undefined ? 256 : 8)),
    rate,
    durationMs,
    count,
    timeoutMs: f.timeout !== undefined ? duration(f.timeout, "timeout") : 30_000,
    seed: Math.floor(num(f.seed, "seed", 0, 1)),
    prompt: f.prompt,
    headers,
  };
}

const ms = (v: number) => `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms`;

function quantileRow(label: string, q: Quantiles | null): string[] {
  return q
    ? [label, String(q.n), ms(q.p50), ms(q.p95), ms(q.p99), ms(q.max)]
    : [label, "0", "-", "-", "-", "-"];
}

/** The human summary of a run. */
export function formatSummary(s: LoadSummary, url: string): string {
  const lines = [
    bold(`${s.requests} requests to ${url} in ${(s.durationMs / 1000).toFixed(1)} s`) +
      dim(` (${s.rps.toFixed(1)} req/s)`),
    s.failed === 0
      ? green(`all ${s.ok} succeeded`)
      : red(`${s.failed} failed`) + ` (${s.ok} succeeded)`,
  ];
  if (s.failed > 0) {
    const rows = Object.entries(s.errors.byStatus).map(([st, n]) => [
      st === "0" ? "no response" : `HTTP ${st}`,
      String(n),
    ]);
    rows.push(...Object.entries(s.errors.byError).map(([e, n]) => [`  ${e}`, String(n)]));
    lines.push("", table([[dim("error"), dim("count")], ...rows]));
  }
  lines.push(
    "",
    table([
      [dim("variant"), dim("requests"), dim("share")],
      ...Object.entries(s.variants).map(([v, c]) => [
        v,
        String(c.count),
        `${(c.share * 100).toFixed(1)}%`,
      ]),
    ]),
    "",
    table([
      [dim(""), dim("n"), dim("p50"), dim("p95"), dim("p99"), dim("max")],
      quantileRow("latency", s.latencyMs),
      ...(s.ttftMs ? [quantileRow("ttft", s.ttftMs)] : []),
    ]),
  );
  return lines.join("\n");
}

export async function load(flags: LoadFlags): Promise<number> {
  const options = loadOptionsFrom(flags, process.env);
  const total = options.count ?? null;
  const seconds = options.durationMs !== undefined ? Math.ceil(options.durationMs / 1000) : null;
  const bar = progress("load", total ?? seconds);
  const { summary } = await runLoad({
    ...options,
    onProgress: ({ done, elapsedMs }) =>
      bar.update(total !== null ? done : Math.min(seconds ?? 0, Math.floor(elapsedMs / 1000))),
  });
  bar.done();
  if (flags.json) {
    const { onProgress: _p, onResult: _r, signal: _s, ...shown } = options;
    console.log(JSON.stringify({ options: shown, summary }, null, 2));
  } else {
    console.log(formatSummary(summary, options.url));
  }
  const unreachable =
    summary.requests > 0 && summary.ok === 0 && summary.errors.byStatus["0"] === summary.requests;
  if (unreachable) throw new CliError(`cannot reach the edge at ${options.url}`, 3);
  return flags["fail-on-error"] && summary.failed > 0 ? 1 : 0;
}
