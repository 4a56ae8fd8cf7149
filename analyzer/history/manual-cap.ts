/**
 * Operator overrides the analyzer must respect. When a person lowered a
 * route's canary weight by hand (admin API or a direct KV edit) for the
 * current canary release, the analyzer never raises it above that value
 * again; a later manual raise lifts the cap. Pure.
 */
import type { HistoryEntry } from "../../store/config-store";

export type { HistoryEntry };

const MANUAL = new Set(["admin", "kv-direct"]);

/**
 * The cap for a route's current canary release, or undefined.
 *
 * @param history versions newest first, consecutive
 */
export function manualWeightCap(
  history: readonly HistoryEntry[],
  routeId: string,
): number | undefined {
  const current = history[0]?.doc.routes.find((r) => r.id === routeId);
  const releaseId = current?.canary?.id;
  if (!releaseId) return undefined;
  for (let i = 0; i < history.length - 1; i++) {
    const entry = history[i]!;
    const after = entry.doc.routes.find((r) => r.id === routeId);
    if (after?.canary?.id !== releaseId) return undefined; // older versions are another rollout
    if (!MANUAL.has(entry.source)) continue;
    const before = history[i + 1]!.doc.routes.find((r) => r.id === routeId);
    if (!before || before.canary?.id !== releaseId) return undefined;
    if (after.weight < before.weight) return after.weight;
    if (after.weight > before.weight) return undefined;
  }
  return undefined;
}
