/**
 * The optional MLflow export inside workerd, driven by real analyzer runs
 * over real local D1 and KV: one run per canary release (its id kept in KV),
 * a log-batch per decision, the run ended on rollback, and an MLflow that
 * is down or refusing never fails an analyzer run. MLflow itself is an
 * injected fetch that records each request (no other outbound calls).
 */
import { env } from "cloudflare:test";
import { drizzle } from "drizzle-orm/d1";
import { beforeEach, describe, expect, it } from "vitest";
import { mlflowRunKey } from "../../contracts/kv-keys";
import type { MlflowSettings } from "../../analyzer/run/mlflow";
import { mlflowSink } from "../../analyzer/run/mlflow";
import { runAnalyzer } from "../../analyzer/run/run";
import {
  decisionRows,
  ingest,
  MIN,
  putConfig,
  resetStorage,
  rolloutConfig,
  rolloutTraffic,
  T0,
} from "../fixtures/analyzer";
const SETTINGS: MlflowSettings = {
  trackingUri: "https://mlflow.test",
  experimentId: "7",
  token: "mlflow-token",
  timeoutMs: 1000,
};

interface Call {
  path: string;
  auth: string | null;
  body: {
    run_id?: string;
    experiment_id?: string;
    run_name?: string;
    status?: string;
    metrics?: Array<{ key: string; value: number; step: number; timestamp: number }>;
    tags?: Array<{ key: string; value: string }>;
  };
}

/** A recording MLflow: answers like the tracking server, or fails as told. */
function fakeMlflow(fail: "none" | "network" | "http" = "none") {
  const calls: Call[] = [];
  const f = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const headers = new Headers(init?.headers);
    calls.push({
      path: url.pathname,
      auth: headers.get("authorization"),
      body: JSON.parse(String(init?.body)) as Call["body"],
    });
    if (url.origin !== "https://mlflow.test") throw new Error(`unexpected request to ${url}`);
    if (fail === "network") throw new TypeError("fetch failed");
    if (fail === "http") return new Response('{"error_code":"INTERNAL_ERROR"}', { status: 500 });
    const body = url.pathname.endsWith("/runs/create")
      ? { run: { info: { run_id: "run-1" } } }
      : {};
    return Response.json(body);
  }) as typeof fetch;
  return { f, calls };
}

/** Traffic for both arms (10% canary) over minutes [from, to). */
const traffic = (fromMin: number, toMin: number, perMinute: number, canaryErrorRate = 0) =>
  rolloutTraffic(fromMin, toMin, perMinute, { canaryErrorRate });

function analyze(at: number, f: typeof fetch) {
  return runAnalyzer({
    db: drizzle(env.DB),
    kv: env.CONFIG,
    scheduledTime: at,
    now: () => at,
    notify: async () => {},
    exportDecision: mlflowSink(SETTINGS, env.CONFIG, f),
  });
}

const metric = (c: Call | undefined, key: string) => c?.body.metrics?.find((m) => m.key === key);
const tag = (c: Call | undefined, key: string) => c?.body.tags?.find((t) => t.key === key)?.value;

beforeEach(resetStorage);

describe("MLflow export", () => {
  it("creates one run per release, logs every decision and ends the run on rollback", async () => {
    const mlflow = fakeMlflow();
    await putConfig(rolloutConfig());
    await ingest(traffic(1, 3, 20));
    expect(await analyze(T0 + 4 * MIN, mlflow.f)).toMatchObject({ status: "done" });

    expect(mlflow.calls.map((c) => c.path)).toEqual([
      "/api/2.0/mlflow/runs/create",
      "/api/2.0/mlflow/runs/log-batch",
    ]);
    const [create, hold] = mlflow.calls;
    expect(create!.body).toMatchObject({ experiment_id: "7", run_name: "chat canary-v2" });
    expect(create!.auth).toBe("Bearer mlflow-token");
    expect(await env.CONFIG.get(mlflowRunKey("chat", "canary-v2"))).toBe("run-1");
    expect(hold!.body.run_id).toBe("run-1");
    expect(metric(hold, "canary_weight")).toMatchObject({ value: 10, timestamp: T0 + 4 * MIN });
    expect(tag(hold, "llm_canary.action")).toBe("hold");
    expect(tag(hold, "llm_canary.route")).toBe("chat");

    await ingest(traffic(3, 11, 300, 0.2));
    await analyze(T0 + 12 * MIN, mlflow.f);
    const [, , logged, update] = mlflow.calls;
    expect(mlflow.calls.map((c) => c.path.split("/").slice(-2).join("/"))).toEqual([
      "runs/create",
      "runs/log-batch",
      "runs/log-batch",
      "runs/update",
    ]);
    expect(logged!.body.run_id).toBe("run-1");
    expect(tag(logged, "llm_canary.action")).toBe("rollback");
    expect(tag(logged, "llm_canary.applied")).toBe("true");
    expect(metric(logged, "canary_weight")!.value).toBe(0);
    expect(metric(logged, "error_rate/all/verdict")!.value).toBe(-1);
    const effect = metric(logged, "error_rate/all/effect")!.value;
    expect(effect).toBeGreaterThan(0.1);
    expect(metric(logged, "error_rate/all/lower")!.value).toBeLessThan(effect);
    expect(metric(logged, "error_rate/all/n_canary")!.value).toBeGreaterThan(200);
    expect(metric(logged, "error_rate/all/verdict")!.step).toBe(12);
    expect(update!.body).toMatchObject({ run_id: "run-1", status: "FAILED" });
  });

  it.each(["network", "http"] as const)(
    "never fails a run when MLflow is down (%s error)",
    async (fail) => {
      const mlflow = fakeMlflow(fail);
      await putConfig(rolloutConfig());
      await ingest(traffic(1, 3, 20));
      expect(await analyze(T0 + 4 * MIN, mlflow.f)).toMatchObject({ status: "done" });
      expect(mlflow.calls.map((c) => c.path)).toEqual(["/api/2.0/mlflow/runs/create"]);
      expect(await decisionRows()).toHaveLength(1);
      expect(await env.CONFIG.get(mlflowRunKey("chat", "canary-v2"))).toBeNull();
    },
  );
});
