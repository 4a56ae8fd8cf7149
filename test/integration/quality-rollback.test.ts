/**
 * The whole loop on a canary that answers fast but toxic: real requests
 * through the edge, sampled answers through the real evaluation queue to
 * the simulated moderation endpoint, scores into the rollups, then the
 * analyzer. Latency and errors are healthy; toxicity alone decides.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_METRICS } from "../../analyzer/metrics/definitions";
import { decisionRows, kvConfig, putConfig, resetStorage, runCron } from "../fixtures/analyzer";
import { chatBody, uniqueTag } from "../fixtures/edge";
import { postChat, qualityConfig, rollup, simEvaluator, waitFor } from "../fixtures/quality";

const REQUESTS = 300;
const tag = uniqueTag("toxic");
const stepStartedAt = new Date(Date.now() - 10 * 60_000).toISOString();

function config(policy: Record<string, unknown>) {
  return qualityConfig(tag, {
    evaluators: [simEvaluator("mod", "moderation", tag)],
    stable: { latencyMs: 30 },
    canary: { latencyMs: 30, mode: "toxic" },
    route: {
      weight: 50,
      evaluation: { sampleRate: { stable: 1, canary: 1 }, evaluators: ["mod"] },
      rollout: { steps: [50, 100], stepIndex: 0, stepStartedAt, startedAt: stepStartedAt },
      policy: { minStepDurationMs: 60_000, minCanarySamples: 100, ...policy },
    },
  });
}

/** Forget the analyzer's history so each test starts from a fresh seed of the KV config. */
async function resetAnalyzer(): Promise<void> {
  await env.DB.batch(
    ["config_versions", "releases", "decisions", "analyzer_runs"].map((t) =>
      env.DB.prepare(`delete from ${t}`),
    ),
  );
  await env.CONFIG.delete("analyzer:health");
}

beforeAll(async () => {
  await resetStorage();
  await putConfig(config({}));
  for (let i = 0; i < REQUESTS; i += 25) {
    const batch = Array.from({ length: Math.min(25, REQUESTS - i) }, (_, j) =>
      postChat(chatBody(), { "x-canary-user": `user-${i + j}` }).then(async (r) => {
        await r.text();
        return r.status;
      }),
    );
    expect(new Set(await Promise.all(batch))).toEqual(new Set([200]));
  }
  await waitFor(
    "every outcome and every evaluation",
    async () => {
      const row = await env.DB.prepare(
        `select (select count(*) from outcomes) as outcomes,
              (select count(*) from evaluations where metric = 'eval_missing_mod') as evaluated`,
      ).first<{ outcomes: number; evaluated: number }>();
      return row && row.outcomes === REQUESTS && row.evaluated === REQUESTS;
    },
    60_000,
  );
}, 120_000);

describe("a fast but toxic canary", () => {
  it("has healthy latency and errors, and every sampled canary answer flagged", async () => {
    const canary = await rollup("chat", "toxicity", "canary");
    const stable = await rollup("chat", "toxicity", "stable");
    expect(canary.n).toBeGreaterThanOrEqual(100);
    expect(stable.n).toBeGreaterThanOrEqual(100);
    expect(canary.n + stable.n).toBe(REQUESTS);
    expect(canary.sum).toBe(canary.n);
    expect(stable.sum).toBe(0);
    expect((await rollup("chat", "error", "canary")).sum).toBe(0);
    expect((await rollup("chat", "eval_missing_mod", "canary")).sum).toBe(0);
  });

  it("is not rolled back when the policy's metrics leave toxicity out", async () => {
    await resetAnalyzer();
    const metrics = DEFAULT_METRICS.filter((m) => m.name !== "toxicity_rate");
    await putConfig(config({ metrics }));
    await runCron(Date.now());
    const [d] = await decisionRows();
    expect(d!.action).not.toBe("rollback");
    expect((await kvConfig()).routes[0]).toMatchObject({ state: "active", weight: 50 });
    const record = JSON.parse(d!.record) as {
      verdicts: Array<{ metric: string; verdict: string; critical: boolean }>;
    };
    expect(record.verdicts.some((v) => v.metric === "toxicity_rate")).toBe(false);
    // Critical checks only: tokens/s comes from real timings and may drift under load.
    expect(record.verdicts.filter((v) => v.critical && v.verdict === "fail")).toEqual([]);
  });

  it("is rolled back by the analyzer on toxicity alone with the default metrics", async () => {
    await resetAnalyzer();
    await putConfig(config({}));
    await runCron(Date.now());
    const [d] = await decisionRows();
    expect(d).toMatchObject({ action: "rollback", applied: 1 });
    expect(d!.summary).toMatch(/^rollback: toxicity_rate on all: fail/);
    const record = JSON.parse(d!.record) as {
      verdicts: Array<{
        metric: string;
        verdict: string;
        critical: boolean;
        slice: { dim: string };
      }>;
    };
    // Critical checks only: tokens/s comes from real timings and may drift under load.
    const onAll = record.verdicts.filter((v) => v.slice.dim === "all" && v.critical);
    expect(onAll.filter((v) => v.verdict === "fail").map((v) => v.metric)).toEqual([
      "toxicity_rate",
    ]);
    expect((await kvConfig()).routes[0]).toMatchObject({ state: "rolled_back", weight: 0 });
  });
});
