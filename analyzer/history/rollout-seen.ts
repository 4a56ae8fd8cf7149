/**
 * When the system first recorded a route's current rollout. A rollout's age
 * (for `stuck`) counts from the later of its `startedAt` and this moment, so a
 * date written into a seeded or hand-edited file never makes a rollout look
 * older than the time the analyzer has actually been able to judge it. Pure.
 */
import type { Route } from "../../contracts/config";
import type { HistoryEntry } from "./manual-cap";

export interface DatedEntry extends HistoryEntry {
  /** When the version was written, epoch ms. */
  createdAt: number;
}

function sameRollout(a: Route | undefined, b: Route): boolean {
  return (
    a !== undefined &&
    a.canary?.id === b.canary?.id &&
    a.rollout !== undefined &&
    a.rollout.startedAt === b.rollout?.startedAt
  );
}

/**
 * The `createdAt` of the oldest version in `history` (newest first,
 * consecutive) that already holds the route's current rollout, or undefined
 * when the newest version has no rollout for it. When the history is cut
 * before the rollout began, the oldest version given is taken: the age can
 * then only be under-, never over-estimated.
 *
 * @example
 * // v1 (seed, 2026-01-01 in the file) written today at 10:00
 * rolloutSeenAt([{ version: 1, source: "seed", doc, createdAt: t10 }], "chat"); // t10
 */
export function rolloutSeenAt(history: readonly DatedEntry[], routeId: string): number | undefined {
  const current = history[0]?.doc.routes.find((r) => r.id === routeId);
  if (!current?.rollout) return undefined;
  let seen: number | undefined;
  for (const entry of history) {
    if (
      !sameRollout(
        entry.doc.routes.find((r) => r.id === routeId),
        current,
      )
    )
      break;
    seen = entry.createdAt;
  }
  return seen;
}
