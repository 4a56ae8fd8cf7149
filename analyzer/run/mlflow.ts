/**
 * Optional export of analyzer decisions to an MLflow tracking server, for
 * teams that keep model evaluations there. Off unless `MLFLOW_TRACKING_URI`
 * is set (var or secret); `MLFLOW_EXPERIMENT_ID` picks the experiment
 * (default `0`) and `MLFLOW_TOKEN` is sent as a bearer token.
 *
 * One MLflow run per canary release (route × canary release id), created
 * with `runs/create` on the release's first decision; its id is kept in KV
 * under `mlflowRunKey(route, release)`. Every decision of a judged route
 * (one per analyzer run, so MLflow shows the estimates and intervals
 * narrowing step by step) is logged with `runs/log-batch`: per metric and
 * slice the effect estimate, its interval, each arm's estimate and sample
 * size and the verdict (1 pass, 0 inconclusive, -1 fail), plus the canary
 * weight; tags carry the route, releases and the latest action. A promotion
 * ends the run FINISHED, a rollback FAILED.
 *
 * Failures (network, HTTP errors, KV) are logged and never fail a run.
 */
import type { Route } from "../../contracts/config";
import { mlflowRunKey } from "../../contracts/kv-keys";
import type { VerdictRecord } from "../metrics/verdict";
import type { Decision } from "../policy/types";

export interface MlflowSettings {
  /** Base URL of the tracking server, e.g. `https://mlflow.example.com`. */
  trackingUri: string;
  experimentId: string;
  token: string | null;
  timeoutMs: number;
}

/** The vars and secrets the export reads. */
/** The vars or secrets the export reads (declared in contracts/secrets.ts). */
export type MlflowEnv = Pick<Env, "MLFLOW_TRACKING_URI" | "MLFLOW_EXPERIMENT_ID" | "MLFLOW_TOKEN">;

/** What the analyzer hands over after recording a decision. */
export interface DecisionExport {
  at: number;
  /** The route as judged (before the decision). */
  route: Route;
  decision: Decision;
  /** The decision's change was written. */
  applied: boolean;
}

/** Receives every decision; must not throw. */
export type DecisionSink = (d: DecisionExport) => Promise<void>;

export interface MlflowMetric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}
export interface MlflowTag {
  key: string;
  value: string;
}

/** Runs keep their KV key this long after the last decision. */
const RUN_KEY_TTL_S = 90 * 24 * 3600;
/** MLflow accepts at most 1000 metrics, params and tags per log-batch request. */
const BATCH_LIMIT = 1000;

/** Settings from the environment, or null when the export is off (or misconfigured). */
export function mlflowSettings(env: MlflowEnv): MlflowSettings | null {
  const raw = env.MLFLOW_TRACKING_URI?.trim() ?? "";
  if (raw === "") return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    console.error(JSON.stringify({ msg: "MLFLOW_TRACKING_URI is not a URL; export off" }));
    return null;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    console.error(JSON.stringify({ msg: "MLFLOW_TRACKING_URI must be http(s); export off" }));
    return null;
  }
  return {
    trackingUri: url.href.replace(/\/+$/, ""),
    experimentId: env.MLFLOW_EXPERIMENT_ID?.trim() || "0",
    token: env.MLFLOW_TOKEN?.trim() || null,
    timeoutMs: 5_000,
  };
}

/** A metric key MLflow accepts: letters, digits, `_ - . / ` and spaces. */
function keyPart(s: string): string {
  return s.replace(/[^\w\-. /]/g, "_");
}

const VERDICT_CODES: Partial<Record<VerdictRecord["verdict"], number>> = {
  pass: 1,
  inconclusive: 0,
  fail: -1,
};

/**
 * The metrics and tags one decision logs (pure). Keys are
 * `<metric>/<slice>/<field>`, e.g. `latency_p95/all/effect` or
 * `error_rate/country.DE/n_canary`; unknown values are left out.
 *
 * @example
 * decisionBatch({ at, route, decision, applied: true }).metrics[0];
 * // { key: "canary_weight", value: 10, timestamp: at, step: 12 }
 */
export function decisionBatch(d: DecisionExport): { metrics: MlflowMetric[]; tags: MlflowTag[] } {
  const started = d.route.rollout ? Date.parse(d.route.rollout.startedAt) : NaN;
  const step = Number.isFinite(started) ? Math.max(0, Math.floor((d.at - started) / 60_000)) : 0;
  const weight = d.applied ? d.decision.proposedRoute.weight : d.route.weight;
  const metrics: MlflowMetric[] = [{ key: "canary_weight", value: weight, timestamp: d.at, step }];
  const add = (key: string, value: number | null | undefined) => {
    if (typeof value === "number" && Number.isFinite(value))
      metrics.push({ key, value, timestamp: d.at, step });
  };
  for (const v of d.decision.verdicts) {
    const slice = v.slice.dim === "all" ? "all" : `${v.slice.dim}.${v.slice.value}`;
    const base = `${keyPart(v.metric)}/${keyPart(slice)}`;
    add(`${base}/effect`, v.effect.estimate);
    add(`${base}/lower`, v.effect.lower);
    add(`${base}/upper`, v.effect.upper);
    add(`${base}/stable`, v.stable.estimate);
    add(`${base}/canary`, v.canary.estimate);
    add(`${base}/n_stable`, v.stable.n);
    add(`${base}/n_canary`, v.canary.n);
    add(`${base}/verdict`, VERDICT_CODES[v.verdict]);
  }
  const tags: MlflowTag[] = [
    { key: "llm_canary.route", value: d.route.id },
    { key: "llm_canary.stable", value: d.route.stable.id },
    { key: "llm_canary.canary", value: d.route.canary?.id ?? "" },
    { key: "llm_canary.action", value: d.decision.action },
    { key: "llm_canary.applied", value: String(d.applied) },
    { key: "llm_canary.dry_run", value: String(d.decision.dryRun) },
  ];
  return { metrics, tags };
}

/**
 * `runs/log-batch` bodies within MLflow's limit of 1000 entities per request;
 * the tags go with the first (pure).
 */
export function logBatches(
  metrics: readonly MlflowMetric[],
  tags: readonly MlflowTag[],
): Array<{ metrics: MlflowMetric[]; tags?: MlflowTag[] }> {
  const room = BATCH_LIMIT - tags.length;
  const out: Array<{ metrics: MlflowMetric[]; tags?: MlflowTag[] }> = [
    { metrics: metrics.slice(0, room), tags: [...tags] },
  ];
  for (let i = room; i < metrics.length; i += BATCH_LIMIT)
    out.push({ metrics: metrics.slice(i, i + BATCH_LIMIT) });
  return out;
}

type Fetch = typeof fetch;

/**
 * The MLflow sink for the analyzer.
 *
 * @example
 * const s = mlflowSettings(env);
 * const exportDecision = s ? mlflowSink(s, env.CONFIG) : undefined;
 */
export function mlflowSink(
  settings: MlflowSettings,
  kv: KVNamespace,
  doFetch: Fetch = fetch,
): DecisionSink {
  async function call(path: string, body: unknown): Promise<Record<string, unknown>> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (settings.token) headers.authorization = `Bearer ${settings.token}`;
    const res = await doFetch(`${settings.trackingUri}/api/2.0/mlflow/${path}`, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(settings.timeoutMs),
      redirect: "manual",
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      return {};
    }
  }

  async function runFor(d: DecisionExport, key: string): Promise<string> {
    const known = await kv.get(key);
    if (known) return known;
    const created = await call("runs/create", {
      experiment_id: settings.experimentId,
      run_name: `${d.route.id} ${d.route.canary?.id ?? ""}`.trim(),
      start_time: d.route.rollout ? Date.parse(d.route.rollout.startedAt) || d.at : d.at,
      tags: [
        { key: "mlflow.runName", value: `${d.route.id} ${d.route.canary?.id ?? ""}`.trim() },
        { key: "llm_canary.route", value: d.route.id },
      ],
    });
    const runId = (created.run as { info?: { run_id?: unknown } } | undefined)?.info?.run_id;
    if (typeof runId !== "string" || runId === "") throw new Error("runs/create: no run id");
    await kv.put(key, runId, { expirationTtl: RUN_KEY_TTL_S });
    return runId;
  }

  return async (d) => {
    if (!d.route.canary) return;
    const key = mlflowRunKey(d.route.id, d.route.canary.id);
    try {
      const runId = await runFor(d, key);
      const { metrics, tags } = decisionBatch(d);
      for (const batch of logBatches(metrics, tags))
        await call("runs/log-batch", { run_id: runId, ...batch });
      const ended =
        d.applied && (d.decision.action === "promote" || d.decision.action === "rollback");
      if (ended)
        await call("runs/update", {
          run_id: runId,
          status: d.decision.action === "promote" ? "FINISHED" : "FAILED",
          end_time: d.at,
        });
    } catch (e) {
      console.error(
        JSON.stringify({ msg: "mlflow export failed", routeId: d.route.id, error: String(e) }),
      );
    }
  };
}
