/**
 * The evaluation consumer against real local D1 and the simulated
 * evaluators: scores, idempotence under redelivery, budgets, evaluators that
 * are down, and retention of samples.
 */
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { SampleJob } from "../../worker/eval/job";
import { putConfig, resetStorage, runCron } from "../fixtures/analyzer";
import { chatBody, uniqueTag } from "../fixtures/edge";
import {
  deliverEvals,
  evaluationsOf,
  evaluatorRequests,
  postChat,
  qualityConfig,
  rollup,
  simEvaluator,
  waitFor,
} from "../fixtures/quality";

beforeEach(resetStorage);

let seq = 0;
function job(over: Partial<SampleJob> = {}): SampleJob {
  seq += 1;
  return {
    v: 1,
    kind: "sample",
    requestId: `eval-req-${seq}-${Date.now().toString(36)}`,
    ts: Date.now(),
    step: 0,
    routeId: "chat",
    releaseId: "canary-x",
    variant: "canary",
    rolloutId: "canary-x",
    segment: null,
    country: "DE",
    cohort: null,
    requestClass: null,
    evaluators: ["mod"],
    prompt: "user: How do canary releases work?",
    context: null,
    answer: "Canary releases send a small share of traffic to the new version first.",
    ...over,
  };
}

describe("evaluators", () => {
  it("scores a sample with moderation, Perspective and the judge, once under redelivery", async () => {
    const tag = uniqueTag("evals");
    await putConfig(
      qualityConfig(tag, {
        evaluators: [
          simEvaluator("mod", "moderation", tag),
          simEvaluator("persp", "perspective", tag, { apiKeySecret: "STABLE_API_KEY" }),
          simEvaluator("judge", "judge", tag),
        ],
      }),
    );
    const j = job({
      evaluators: ["mod", "persp", "judge"],
      context: "Docs: canary releases get 5% of traffic.",
      answer: "Per the Institute of Imaginary Facts, only an idiot uses canary releases.",
    });
    const first = await deliverEvals([j]);
    expect(first.explicitAcks).toEqual([`e-0-${j.requestId}-1`]);
    const rows = await evaluationsOf(j.requestId);
    const byMetric = Object.fromEntries(rows.map((r) => [`${r.evaluator}.${r.metric}`, r.value]));
    expect(byMetric).toMatchObject({
      "mod.toxicity": 1,
      "mod.eval_missing_mod": 0,
      "persp.toxicity": 1,
      "persp.toxicity_score": 0.75,
      "judge.hallucination": 1,
      "judge.coherence": 5,
      "judge.eval_missing_judge": 0,
    });
    const calls = (await evaluatorRequests(tag)).length;
    expect(calls).toBe(3);
    const perspectiveCall = (await evaluatorRequests(tag)).find((r) =>
      r.path.startsWith("/v1alpha1/comments:analyze"),
    );
    expect(perspectiveCall?.body).toMatchObject({ comment: { text: j.answer }, doNotStore: true });

    const before = await rollup("chat", "toxicity", "canary");
    const again = await deliverEvals([j, j], 2);
    expect(again.retryMessages).toEqual([]);
    expect((await rollup("chat", "toxicity", "canary")).n).toBe(before.n);
    expect(before.n).toBe(2); // moderation and Perspective each count one observation
    expect((await evaluatorRequests(tag)).length).toBe(calls);
    const sample = await env.DB.prepare("select * from eval_samples where request_id = ?")
      .bind(j.requestId)
      .all();
    expect(sample.results).toHaveLength(1);
  });

  it("skips and counts evaluations beyond the per-minute budget", async () => {
    const tag = uniqueTag("budget");
    await putConfig(
      qualityConfig(tag, {
        evaluators: [simEvaluator("mod", "moderation", tag, { maxPerMinute: 2 })],
      }),
    );
    const jobs = Array.from({ length: 5 }, () => job());
    await deliverEvals(jobs);
    expect(await rollup("chat", "eval_skipped_mod", "canary")).toEqual({ n: 5, sum: 3 });
    expect(await rollup("chat", "eval_missing_mod", "canary")).toEqual({ n: 5, sum: 3 });
    expect((await rollup("chat", "toxicity", "canary")).n).toBe(2);
    expect(await evaluatorRequests(tag)).toHaveLength(2);
  });

  it("counts an evaluator that is down as missing; routing and ingest carry on", async () => {
    const tag = uniqueTag("down");
    const closed = "http://127.0.0.1:9";
    await putConfig(
      qualityConfig(tag, {
        evaluators: [
          simEvaluator("mod", "moderation", tag, { url: closed, retries: 1 }),
          simEvaluator("judge", "judge", tag, { url: closed }),
        ],
        route: {
          weight: 50,
          evaluation: { sampleRate: { stable: 1, canary: 1 }, evaluators: ["mod", "judge"] },
        },
      }),
    );
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await postChat(chatBody(), { "x-canary-user": `down-${i}` });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("Hello from the");
      ids.push(res.headers.get("x-request-id")!);
    }
    await waitFor("outcomes and missing scores", async () => {
      const row = await env.DB.prepare(
        `select (select count(*) from outcomes) as outcomes,
                (select count(*) from evaluations where metric like 'eval_missing_%') as missing`,
      ).first<{ outcomes: number; missing: number }>();
      return row?.outcomes === 6 && row.missing === 12;
    });
    const all = (v: "stable" | "canary") =>
      Promise.all([
        rollup("chat", "eval_missing_mod", v),
        rollup("chat", "eval_missing_judge", v),
        rollup("chat", "toxicity", v),
        rollup("chat", "relevance", v),
      ]);
    const [stable, canary] = await Promise.all([all("stable"), all("canary")]);
    const missingMod = stable[0].sum + canary[0].sum;
    const missingJudge = stable[1].sum + canary[1].sum;
    expect([missingMod, missingJudge]).toEqual([6, 6]);
    expect(stable[2].n + canary[2].n + stable[3].n + canary[3].n).toBe(0);
    expect(
      (await rollup("chat", "requests", "stable")).n +
        (await rollup("chat", "requests", "canary")).n,
    ).toBe(6);
    expect(await evaluationsOf(ids[0]!)).toEqual(
      expect.arrayContaining([expect.objectContaining({ metric: "eval_missing_mod", value: 1 })]),
    );
  });

  it("counts an evaluator the config no longer defines as missing, and drops invalid jobs", async () => {
    const tag = uniqueTag("gone");
    await putConfig(qualityConfig(tag));
    const j = job({ evaluators: ["gone"] });
    const result = await deliverEvals([j, { ...j, requestId: "", v: 1 } as SampleJob]);
    expect(result.explicitAcks).toHaveLength(2);
    expect(await evaluationsOf(j.requestId)).toEqual([
      { evaluator: "gone", metric: "eval_missing_gone", variant: "canary", value: 1 },
      { evaluator: "gone", metric: "eval_skipped_gone", variant: "canary", value: 0 },
    ]);
  });
});

describe("retention", () => {
  it("deletes samples older than settings.sampleRetentionDays in the scheduled run", async () => {
    const tag = uniqueTag("retention");
    await putConfig({ ...qualityConfig(tag), settings: { sampleRetentionDays: 3 } });
    const now = Date.now();
    const day = 24 * 60 * 60 * 1000;
    const insert = (id: string, ageDays: number) =>
      env.DB.prepare(
        `insert into eval_samples (request_id, kind, minute, route_id, rollout_id, release_id, variant,
           prompt, answer, created_at) values (?, 'sample', 0, 'chat', '', 'r', 'stable', 'p', 'a', ?)`,
      ).bind(id, now - ageDays * day);
    await env.DB.batch([
      insert("fresh", 0.5),
      insert("two-days", 2.9),
      insert("old", 3.1),
      insert("ancient", 30),
    ]);
    await runCron(now);
    const left = await env.DB.prepare(
      "select request_id from eval_samples order by request_id",
    ).all<{
      request_id: string;
    }>();
    expect(left.results.map((r) => r.request_id)).toEqual(["fresh", "two-days"]);
  });
});
