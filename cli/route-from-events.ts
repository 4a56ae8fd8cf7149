/**
 * The route an offline analysis judges: from a routing config file when one
 * is given, else reconstructed from the events themselves (stable and canary
 * release ids, the canary weight in force, the rollout's start). Pure.
 */
import type { Route, RoutingConfig } from "../contracts/config";
import { RouteSchema } from "../contracts/config";
import type { OutcomeEvent } from "../contracts/outcome";

export type RouteResult =
  { ok: true; route: Route; events: OutcomeEvent[] } | { ok: false; error: string };

function mostCommon(values: Iterable<string>): string | null {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | null = null;
  let bestN = 0;
  for (const [v, n] of counts) if (n > bestN) [best, bestN] = [v, n];
  return best;
}

/**
 * @param routeId which route to judge (required when the events hold several)
 * @param rolloutId which canary rollout (default: the latest one in the events)
 */
export function routeForAnalysis(
  events: readonly OutcomeEvent[],
  opts: { routeId?: string; rolloutId?: string; config?: RoutingConfig },
): RouteResult {
  const routeIds = [...new Set(events.map((e) => e.routeId))];
  const routeId = opts.routeId ?? (routeIds.length === 1 ? routeIds[0] : undefined);
  if (!routeId)
    return {
      ok: false,
      error: `the events hold several routes (${routeIds.join(", ")}): pass --route`,
    };
  const ofRoute = events.filter((e) => e.routeId === routeId && e.rolloutId !== null);
  if (ofRoute.length === 0)
    return { ok: false, error: `no events of route "${routeId}" under a canary rollout` };
  const rolloutId = opts.rolloutId ?? ofRoute.reduce((a, b) => (b.ts > a.ts ? b : a)).rolloutId!;
  const mine = ofRoute.filter((e) => e.rolloutId === rolloutId).sort((a, b) => a.ts - b.ts);
  if (mine.length === 0) return { ok: false, error: `no events of rollout "${rolloutId}"` };

  const fromConfig = opts.config?.routes.find((r) => r.id === routeId);
  if (fromConfig) return { ok: true, route: fromConfig, events: mine };

  const stableId =
    mostCommon(mine.filter((e) => e.variant === "stable").map((e) => e.releaseId)) ?? "stable";
  const first = mine[0]!;
  const last = mine[mine.length - 1]!;
  const defaults = mine.filter((e) => e.segment === null);
  const weight = (defaults.length > 0 ? defaults[defaults.length - 1]! : last).weight;
  const started = new Date(first.ts).toISOString();
  const parsed = RouteSchema.safeParse({
    id: routeId,
    models: [...new Set(mine.map((e) => e.model || "model"))],
    stable: { id: stableId, originUrl: "http://stable.invalid", model: "stable" },
    canary: { id: rolloutId, originUrl: "http://canary.invalid", model: "canary" },
    weight,
    rollout: {
      steps: [weight, 100].filter((w, i, a) => a.indexOf(w) === i),
      stepIndex: 0,
      stepStartedAt: started,
      startedAt: started,
    },
  });
  if (!parsed.success)
    return { ok: false, error: `cannot reconstruct the route: ${parsed.error.message}` };
  return { ok: true, route: parsed.data, events: mine };
}
