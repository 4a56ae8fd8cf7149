/**
 * One analyzer run: lease the scheduled time, reconcile KV with the config
 * history, then for each route with an active canary read its window, decide,
 * write the change through compare-and-set, record the decision and notify.
 *
 * Failure rules: a D1 error changes nothing, is recorded in the route's health
 * (KV) and counted; `decide` freezes a route after too many in a row. A
 * rollback is re-applied on conflict so it wins over a concurrent promotion;
 * any other change that loses a race is dropped and re-decided next run.
 */
import type { Route, RoutingConfig } from "../../contracts/config";
import { parseRoutingConfig } from "../../contracts/config";
import { ROUTING_CONFIG_KEY } from "../../contracts/kv-keys";
import { manualWeightCap } from "../history/manual-cap";
import { rolloutSeenAt } from "../history/rollout-seen";
import { weightEditsWithinStep } from "../history/weight-edits";
import { decide, routeToWrite } from "../policy/decide";
import {
  DEFAULT_POLICY,
  judgedQuantileSources,
  resolvePolicy,
  type PolicyInput,
} from "../policy/policy";
import * as transitions from "../../contracts/transitions";
import type { Decision } from "../policy/types";
import type { ConfigVersion, Db, ReconcileResult } from "../../store/config-store";
import { reconcile, recentVersions, writeConfig, writeWithRetry } from "../../store/config-store";
import {
  acquireLease,
  finishRun,
  readHealth,
  recordDecision,
  writeHealth,
  type AnalyzerHealth,
} from "../store/runs";
import { readStep } from "../store/step-reader";
import { withAssignments } from "../store/assignment-reader";
import type { DecisionSink } from "./mlflow";
import type { Notifier } from "./notify";

export interface RunDeps {
  db: Db;
  kv: KVNamespace;
  scheduledTime: number;
  now: () => number;
  policy?: PolicyInput;
  notify: Notifier;
  /** Optional export of every decision (MLflow, `run/mlflow.ts`); never throws. */
  exportDecision?: DecisionSink;
}

export interface RouteOutcome {
  routeId: string;
  action: Decision["action"] | "error";
  /** The config version this run wrote, or null when it wrote nothing. */
  versionAfter: number | null;
  reasons: string[];
}

export type RunReport =
  | { status: "duplicate" }
  | { status: "error"; error: string }
  | { status: "done"; reconcile: ReconcileResult; routes: RouteOutcome[] };

const HISTORY_DEPTH = 50;

function replaceRoute(config: RoutingConfig, route: Route): RoutingConfig {
  return { ...config, routes: config.routes.map((r) => (r.id === route.id ? route : r)) };
}

function summarize(action: string, reasons: readonly string[]): string {
  return `${action}: ${reasons[0] ?? "no reason given"}`.slice(0, 500);
}

/** Routes the analyzer looks at: a canary under an active rollout. */
function judged(route: Route): boolean {
  return route.canary !== undefined && route.state === "active";
}

export async function runAnalyzer(deps: RunDeps): Promise<RunReport> {
  const { db, kv, scheduledTime } = deps;
  const health = await readHealth(kv);
  let leased: boolean;
  try {
    leased = await acquireLease(db, scheduledTime, deps.now());
  } catch (e) {
    await countFailure(deps, health, null, `cannot lease run: ${String(e)}`);
    return { status: "error", error: String(e) };
  }
  if (!leased) return { status: "duplicate" };

  try {
    const rec = await reconcile(db, kv, deps.now());
    if (rec.status === "direct_edit") {
      const restarted = await restartEditedSteps(deps);
      await deps.notify({
        routeId: "*",
        action: "manual edit",
        summary: `direct KV edit recorded as version ${rec.version}`,
        reasons: restarted ? [...rec.changes, restarted] : rec.changes,
      });
    }
    if (rec.status === "invalid_kv") {
      await deps.notify({
        routeId: "*",
        action: "invalid config",
        summary: "KV holds an invalid routing config; nothing changed",
        reasons: rec.errors,
      });
      await finishRun(db, scheduledTime, deps.now(), `invalid KV config: ${rec.errors.join("; ")}`);
      return { status: "done", reconcile: rec, routes: [] };
    }
    let history = await recentVersions(db, HISTORY_DEPTH);
    const routes: RouteOutcome[] = [];
    for (const route of history[0]?.doc.routes ?? []) {
      if (!judged(route)) continue;
      const { outcome, wrote } = await judgeRoute(deps, health, history, route);
      routes.push(outcome);
      // Only a write (ours, or the concurrent one that refused ours) makes the
      // history stale; the next route's compare-and-set needs the new head.
      if (wrote) history = await recentVersions(db, HISTORY_DEPTH);
    }
    await writeHealth(kv, health);
    await finishRun(db, scheduledTime, deps.now(), null);
    return { status: "done", reconcile: rec, routes };
  } catch (e) {
    await countFailure(deps, health, null, String(e));
    await finishRun(db, scheduledTime, deps.now(), String(e)).catch(() => {});
    return { status: "error", error: String(e) };
  }
}

async function judgeRoute(
  deps: RunDeps,
  health: AnalyzerHealth,
  history: ConfigVersion[],
  route: Route,
): Promise<{ outcome: RouteOutcome; wrote: boolean }> {
  const now = deps.now();
  const latest = history[0]!;
  let window;
  try {
    const groupBinsOf = judgedQuantileSources(deps.policy, route.policy);
    const step = await readStep(deps.db, route, now, { groupBinsOf });
    window = await withAssignments(deps.db, route, step);
  } catch (e) {
    const reason = `cannot read rollups: ${String(e)}`;
    await countFailure(deps, health, route.id, reason);
    const outcome: RouteOutcome = {
      routeId: route.id,
      action: "error",
      versionAfter: null,
      reasons: [reason],
    };
    return { outcome, wrote: false };
  }
  const errors = health.routes[route.id]?.consecutiveErrors ?? 0;
  const cap = manualWeightCap(history, route.id);
  const d = decide({
    route,
    now,
    window,
    policy: deps.policy,
    manualWeightCap: cap,
    consecutiveErrors: errors,
    rolloutSeenAt: rolloutSeenAt(history, route.id),
  });
  health.routes[route.id] = { consecutiveErrors: 0, lastError: null, lastErrorAt: null };

  let versionAfter: number | null = null;
  const reasons = [...d.reasons];
  const next = routeToWrite(d, route);
  if (next) {
    const meta = {
      actor: "analyzer",
      reason: summarize(d.action, d.reasons),
      source: "analyzer" as const,
      now,
    };
    const result =
      d.action === "rollback"
        ? await writeWithRetry(deps.db, deps.kv, (cfg) => rollbackIn(cfg, route), meta)
        : await writeConfig(deps.db, deps.kv, {
            ...meta,
            expectedVersion: latest.version,
            config: replaceRoute(latest.doc, next),
          });
    if (result.ok) versionAfter = result.version;
    else {
      reasons.push(
        result.reason === "conflict"
          ? `not applied: a concurrent change made version ${result.currentVersion}; re-deciding next run`
          : `not applied: ${result.reason}${"errors" in result ? `: ${result.errors.join("; ")}` : ""}`,
      );
    }
  }
  if (cap !== undefined)
    reasons.push(`operator cap: weight stays at or below ${cap}% for this release`);
  await recordDecision(deps.db, {
    id: crypto.randomUUID(),
    at: now,
    scheduledTime: deps.scheduledTime,
    routeId: route.id,
    rolloutId: route.canary?.id ?? null,
    action: d.action,
    changed: d.proposedRoute !== route,
    applied: versionAfter !== null,
    dryRun: d.dryRun,
    versionBefore: latest.version,
    versionAfter,
    summary: summarize(d.action, reasons),
    record: JSON.stringify({
      reasons,
      verdicts: d.verdicts,
      srm: d.srm,
      window: d.window,
      manualWeightCap: cap ?? null,
      policy: d.policy ?? null,
    }),
  });
  await deps.exportDecision?.({ at: now, route, decision: d, applied: versionAfter !== null });
  if (d.notify)
    await deps.notify({
      routeId: route.id,
      action: d.action,
      summary: summarize(d.action, reasons),
      reasons,
    });
  return {
    outcome: { routeId: route.id, action: d.action, versionAfter, reasons },
    wrote: next !== null,
  };
}

/**
 * After a direct KV edit that changed a rollout's weights within its step,
 * restarts that step (keeping the operator's weights), so the analyzer never
 * pools traffic routed at two weights. Returns what it did, for the
 * notification, or null.
 */
async function restartEditedSteps(deps: RunDeps): Promise<string | null> {
  const [edited, before] = await recentVersions(deps.db, 2);
  if (!edited || !before || edited.source !== "kv-direct") return null;
  const edits = weightEditsWithinStep(before.doc, edited.doc);
  if (edits.length === 0) return null;
  const now = deps.now();
  const ids = new Set(edits.map((e) => e.routeId));
  const what = edits.map((e) => `${e.routeId}: weights ${e.from} → ${e.to}`).join(", ");
  const r = await writeConfig(deps.db, deps.kv, {
    expectedVersion: edited.version,
    config: {
      ...edited.doc,
      routes: edited.doc.routes.map((r) => (ids.has(r.id) ? transitions.restartStep(r, now) : r)),
    },
    actor: "analyzer",
    reason: `step restarted after a direct KV weight edit (${what}): traffic at the new weights is judged on its own`,
    source: "analyzer",
    now,
  });
  return r.ok
    ? `step restarted in version ${r.version} (${what})`
    : `step not restarted (${r.reason}); the new weights are judged with the step's earlier traffic`;
}

/** Rollback of the same canary release in the newest config, or null when nothing is left to do. */
function rollbackIn(config: RoutingConfig, judgedRoute: Route): RoutingConfig | null {
  const current = config.routes.find((r) => r.id === judgedRoute.id);
  if (!current || current.canary?.id !== judgedRoute.canary?.id || current.state === "rolled_back")
    return null;
  return replaceRoute(config, transitions.rollback(current));
}

async function countFailure(
  deps: RunDeps,
  health: AnalyzerHealth,
  routeId: string | null,
  error: string,
): Promise<void> {
  console.error(JSON.stringify({ msg: "analyzer run failed", routeId, error }));
  const ids = routeId ? [routeId] : await judgedRouteIdsInKv(deps.kv);
  const limit = resolvePolicy(deps.policy, undefined);
  const max = limit.ok ? limit.policy.maxConsecutiveErrors : DEFAULT_POLICY.maxConsecutiveErrors;
  for (const id of ids) {
    const count = (health.routes[id]?.consecutiveErrors ?? 0) + 1;
    health.routes[id] = {
      consecutiveErrors: count,
      lastError: error.slice(0, 500),
      lastErrorAt: deps.now(),
    };
    if (count === max) {
      await deps.notify({
        routeId: id,
        action: "freeze",
        summary: `${count} consecutive analyzer errors: no promotion until an operator resumes`,
        reasons: [error.slice(0, 500)],
      });
    }
  }
  try {
    await writeHealth(deps.kv, health);
  } catch (e) {
    console.error(JSON.stringify({ msg: "analyzer health write failed", error: String(e) }));
  }
}

/** Route ids with a canary in the KV config (readable when D1 is not). */
async function judgedRouteIdsInKv(kv: KVNamespace): Promise<string[]> {
  const raw = await kv.get(ROUTING_CONFIG_KEY).catch(() => null);
  const parsed = raw === null ? null : parseRoutingConfig(raw);
  return parsed?.ok ? parsed.config.routes.filter(judged).map((r) => r.id) : [];
}
