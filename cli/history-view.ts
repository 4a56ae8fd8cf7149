/**
 * `history` and `decisions` for people, as pure functions of the admin API's
 * answers: who changed what and why (with each version's changes), and the
 * analyzer's decisions with their one-line summaries.
 */
import type { DecisionView, HistoryEntry } from "../contracts/admin-api";
import { ago, colourAction, shortTime } from "./status-view";
import { bold, dim, table } from "./output";

/** Longest change line shown; `--json` has the whole history. */
const CHANGE_WIDTH = 160;

const clip = (s: string) => (s.length > CHANGE_WIDTH ? `${s.slice(0, CHANGE_WIDTH - 1)}…` : s);

/**
 * Config versions, newest first, each followed by its changes.
 *
 * @example
 * renderHistory([{ version: 3, actor: "alice", reason: "hold DE", source: "admin",
 *   createdAt: "2026-11-27T10:00:00.000Z", changes: ["routes.0.weight: 5 → 1"] }]);
 * // "v3  2026-11-27 10:00:00Z  admin  alice  hold DE\n      routes.0.weight: 5 → 1"
 */
export function renderHistory(versions: readonly HistoryEntry[]): string {
  if (versions.length === 0) return "no config versions yet";
  const blocks = versions.map((v) => {
    const at = Date.parse(v.createdAt);
    const head = table([
      [
        bold(`v${v.version}`),
        Number.isNaN(at) ? v.createdAt : shortTime(at),
        v.source,
        v.actor,
        v.reason,
      ],
    ]);
    const changes = v.changes.length > 0 ? v.changes : ["(no changes besides the version)"];
    return [head, ...changes.map((c) => `      ${dim(clip(c))}`)].join("\n");
  });
  return blocks.join("\n");
}

/** Decisions, newest first: time, route, action, whether it was written, summary. */
export function renderDecisions(decisions: readonly DecisionView[], now: number): string {
  if (decisions.length === 0) return "no decisions";
  const rows = [["time", "", "route", "action", "applied", "summary"].map(dim)];
  for (const d of decisions) {
    const applied = d.dryRun ? "dry run" : d.applied ? "yes" : d.changed ? "no" : "-";
    rows.push([
      shortTime(d.at),
      dim(ago(d.at, now)),
      d.routeId,
      colourAction(d.action),
      applied,
      d.summary,
    ]);
  }
  return table(rows);
}
