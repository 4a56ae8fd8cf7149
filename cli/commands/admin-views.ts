/**
 * The reading commands: `status` (config plus each route's newest decision),
 * `watch` (the same, refreshed until Ctrl-C, or `--once` / `--count N`),
 * `history` and `decisions`. Human output comes from the pure views;
 * `--json` prints the API's JSON (`status` and `watch`: `{ version, health,
 * routes: [{ route, decision }] }`, one object per line for `watch`).
 */
import type { AdminClient } from "../admin-client";
import { AdminApiError } from "../admin-client";
import {
  ConfigResponseSchema,
  DecisionsResponseSchema,
  HistoryResponseSchema,
} from "../../contracts/admin-api";
import { renderDecisions, renderHistory } from "../history-view";
import { CliError, dim, red } from "../output";
import type { StatusData } from "../status-view";
import { renderStatus, routesOf, shortTime } from "../status-view";
import type { AdminFlags } from "../admin-flags";
import { positiveInt, seconds } from "../admin-flags";

const enc = encodeURIComponent;

/** The config and each shown route's newest decision. */
export async function loadStatus(api: AdminClient, only?: string): Promise<StatusData> {
  const cfg = await api.get("/admin/config", ConfigResponseSchema);
  const routes = routesOf(cfg, only);
  if (only !== undefined && routes.length === 0)
    throw new CliError(`route "${only}" does not exist in config version ${cfg.version}`, 1);
  const decisions = await Promise.all(
    routes.map(async (r) => {
      const d = await api.get(
        `/admin/decisions?route=${enc(r.id)}&limit=1`,
        DecisionsResponseSchema,
      );
      return d.decisions[0] ?? null;
    }),
  );
  return {
    version: cfg.version,
    health: cfg.health,
    routes: routes.map((route, i) => ({ route, decision: decisions[i] ?? null })),
  };
}

export async function statusCommand(api: AdminClient, f: AdminFlags): Promise<number> {
  const data = await loadStatus(api, f.route);
  console.log(f.json ? JSON.stringify(data, null, 2) : renderStatus(data, Date.now()));
  return 0;
}

/** Resolves after `ms`, or at once when `stop` is signalled. */
function pause(ms: number, stop: { wake: (() => void) | null }): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    stop.wake = () => {
      clearTimeout(t);
      resolve();
    };
  });
}

export async function watchCommand(api: AdminClient, f: AdminFlags): Promise<number> {
  const intervalMs = seconds(f.interval, "interval", 5) * 1000;
  const frames = f.once ? 1 : (positiveInt(f.count, "count") ?? Infinity);
  const tty = process.stdout.isTTY === true && !f.json;
  const stop = { stopped: false, wake: null as (() => void) | null };
  const onSigint = () => {
    stop.stopped = true;
    stop.wake?.();
  };
  process.on("SIGINT", onSigint);
  try {
    for (let i = 0; i < frames && !stop.stopped; i++) {
      if (i > 0) await pause(intervalMs, stop);
      if (stop.stopped) break;
      const now = Date.now();
      let body: string;
      try {
        const data = await loadStatus(api, f.route);
        body = f.json
          ? JSON.stringify({ at: new Date(now).toISOString(), ...data })
          : renderStatus(data, now);
      } catch (e) {
        // The first frame fails like `status`; later ones keep watching through a blip.
        if (i === 0 || !(e instanceof AdminApiError)) throw e;
        body = f.json
          ? JSON.stringify({ at: new Date(now).toISOString(), error: e.message })
          : red(e.message);
      }
      if (f.json) {
        console.log(body);
        continue;
      }
      const head = dim(
        `llm-canary watch · ${api.url} · every ${intervalMs / 1000} s · ${shortTime(now)} · Ctrl-C stops`,
      );
      process.stdout.write(`${tty ? "\u001b[H\u001b[2J" : i > 0 ? "\n" : ""}${head}\n${body}\n`);
    }
  } finally {
    process.off("SIGINT", onSigint);
  }
  return 0;
}

export async function historyCommand(api: AdminClient, f: AdminFlags): Promise<number> {
  const limit = positiveInt(f.limit, "limit") ?? 20;
  const r = await api.get(`/admin/history?limit=${limit}`, HistoryResponseSchema);
  console.log(f.json ? JSON.stringify(r, null, 2) : renderHistory(r.versions));
  return 0;
}

export async function decisionsCommand(api: AdminClient, f: AdminFlags): Promise<number> {
  const q = new URLSearchParams();
  if (f.route !== undefined) q.set("route", f.route);
  if (f.action !== undefined) q.set("action", f.action);
  q.set("limit", String(positiveInt(f.limit, "limit") ?? 20));
  const r = await api.get(`/admin/decisions?${q}`, DecisionsResponseSchema);
  console.log(f.json ? JSON.stringify(r, null, 2) : renderDecisions(r.decisions, Date.now()));
  return 0;
}
