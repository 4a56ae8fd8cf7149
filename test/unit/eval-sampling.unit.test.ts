import { describe, expect, it } from "vitest";
import { RouteSchema, type Route } from "../../contracts/config";
import { budgetMinute, retryBackoffMs, takeSlot } from "../../worker/eval/budget";
import { pairEvaluationRows, sampleEvaluationRows, sampleRow } from "../../worker/eval/rows";
import { sampleJob, shouldSample } from "../../worker/eval/sample";
import { evalTexts, splitRequest } from "../../worker/eval/texts";
import { shadowBody, shouldShadow } from "../../worker/shadow/select";
import { makeOutcome } from "../fixtures/outcome";
import { unitGroup } from "../../contracts/assignment";
import { feedbackRow } from "../../worker/feedback/route";

function route(evaluation: Record<string, unknown> | undefined, extra: Partial<Route> = {}): Route {
  return RouteSchema.parse({
    id: "chat",
    models: ["gpt-test"],
    stable: { id: "stable-v1", originUrl: "http://127.0.0.1:1", model: "a" },
    canary: { id: "canary-v2", originUrl: "http://127.0.0.1:1", model: "b" },
    weight: 10,
    ...(evaluation ? { evaluation } : {}),
    ...extra,
  });
}

describe("budget math", () => {
  it("grants slots while below the per-minute maximum", () => {
    let used = 0;
    const granted = Array.from({ length: 5 }, () => {
      const r = takeSlot(used, 3);
      used = r.used;
      return r.granted;
    });
    expect(granted).toEqual([true, true, true, false, false]);
    expect(used).toBe(3);
  });

  it("counts per wall-clock minute", () => {
    expect(budgetMinute(Date.UTC(2026, 0, 1, 0, 0, 59, 999))).toBe(
      budgetMinute(Date.UTC(2026, 0, 1)),
    );
    expect(budgetMinute(Date.UTC(2026, 0, 1, 0, 1))).toBe(budgetMinute(Date.UTC(2026, 0, 1)) + 1);
  });

  it("backs off evaluator retries from 250 ms, doubling, capped at 2 s", () => {
    expect([1, 2, 3, 4, 5].map(retryBackoffMs)).toEqual([250, 500, 1000, 2000, 2000]);
  });
});

describe("sampling at the edge", () => {
  const ev = { evaluators: ["mod"] };
  it("samples by the variant's rate, with defaults 1% stable and 10% canary", () => {
    const r = route(ev);
    expect(r.evaluation?.sampleRate).toEqual({ stable: 0.01, canary: 0.1 });
    const stable = makeOutcome({ variant: "stable" });
    const canary = makeOutcome({ variant: "canary", releaseId: "canary-v2" });
    expect(shouldSample(r, stable, 0.009)).toBe(true);
    expect(shouldSample(r, stable, 0.011)).toBe(false);
    expect(shouldSample(r, canary, 0.099)).toBe(true);
    expect(shouldSample(r, canary, 0.1)).toBe(false);
  });

  it("never samples without evaluators, failed requests, failovers or empty answers", () => {
    const ok = makeOutcome();
    expect(shouldSample(route(undefined), ok, 0)).toBe(false);
    expect(shouldSample(route({ evaluators: [] }), ok, 0)).toBe(false);
    const r = route(ev);
    expect(shouldSample(r, makeOutcome({ errorClass: "http_5xx" }), 0)).toBe(false);
    expect(shouldSample(r, makeOutcome({ failover: true }), 0)).toBe(false);
    expect(shouldSample(r, makeOutcome({ completionChars: 0 }), 0)).toBe(false);
    expect(shouldSample(r, ok, 0)).toBe(true);
  });

  it("splits conversation from context and redacts both", () => {
    const body = {
      messages: [
        { role: "system", content: "Policy: refunds within 30 days. Escalate to ops@example.com." },
        { role: "user", content: "Can I get a refund? My number is +49 30 1234567." },
        { role: "assistant", content: "Which order?" },
        { role: "tool", content: [{ type: "text", text: "order 17 shipped" }] },
      ],
    };
    expect(splitRequest(body)).toEqual({
      conversation:
        "user: Can I get a refund? My number is +49 30 1234567.\nassistant: Which order?",
      context: "Policy: refunds within 30 days. Escalate to ops@example.com.\n\norder 17 shipped",
    });
    const texts = evalTexts(body, "Sure, write to ops@example.com with key sk-abcdef1234567890");
    expect(texts.prompt).toBe(
      "user: Can I get a refund? My number is [phone].\nassistant: Which order?",
    );
    expect(texts.context).toContain("Escalate to [email].");
    expect(texts.answer).toBe("Sure, write to [email] with key [api_key]");
  });

  it("has no context without system, developer or tool messages, instructions or a context field", () => {
    expect(splitRequest({ messages: [{ role: "user", content: "hi" }] }).context).toBeNull();
    expect(splitRequest({ input: "hi", instructions: "Be brief." })).toEqual({
      conversation: "user: hi",
      context: "Be brief.",
    });
    expect(splitRequest({ prompt: "Say hi", context: "Docs." })).toEqual({
      conversation: "Say hi",
      context: "Docs.",
    });
  });

  it("builds a job with the request's rollup key", () => {
    const e = makeOutcome({
      variant: "canary",
      releaseId: "canary-v2",
      segment: "beta",
      country: "JP",
    });
    const job = sampleJob(route(ev), e, { prompt: "p", context: null, answer: "a" });
    expect(job).toMatchObject({
      kind: "sample",
      requestId: e.requestId,
      variant: "canary",
      releaseId: "canary-v2",
      rolloutId: "canary-v2",
      segment: "beta",
      country: "JP",
      evaluators: ["mod"],
    });
  });
});

describe("shadow selection", () => {
  const shadowed = route({ evaluators: ["judge"], shadow: { rate: 0.5, maxPerMinute: 10 } });
  const stable = makeOutcome({ variant: "stable" });
  const chat = "/v1/chat/completions";

  it("replays a sampled share of stable-routed generations", () => {
    expect(shouldShadow(shadowed, stable, chat, null, 0.49)).toBe(true);
    expect(shouldShadow(shadowed, stable, chat, null, 0.5)).toBe(false);
    expect(shouldShadow(shadowed, stable, "/v1/responses", "true", 0)).toBe(true);
  });

  it("never replays non-idempotent requests, other paths, canary traffic or failures", () => {
    expect(shouldShadow(shadowed, stable, chat, "false", 0)).toBe(false);
    expect(shouldShadow(shadowed, stable, chat, " FALSE ", 0)).toBe(false);
    expect(shouldShadow(shadowed, stable, "/v1/embeddings", null, 0)).toBe(false);
    expect(shouldShadow(shadowed, makeOutcome({ variant: "canary" }), chat, null, 0)).toBe(false);
    expect(shouldShadow(shadowed, makeOutcome({ errorClass: "timeout" }), chat, null, 0)).toBe(
      false,
    );
    expect(shouldShadow(route({ evaluators: ["judge"] }), stable, chat, null, 0)).toBe(false);
    const rolledBack = route(
      { evaluators: ["judge"], shadow: { rate: 1, maxPerMinute: 10 } },
      { state: "rolled_back" },
    );
    expect(shouldShadow(rolledBack, stable, chat, null, 0)).toBe(false);
  });

  it("sends the canary its own model, never streamed", () => {
    expect(
      shadowBody(
        { model: "alias", stream: true, stream_options: { include_usage: true }, messages: [] },
        "canary-model",
      ),
    ).toEqual({ model: "canary-model", stream: false, messages: [] });
  });
});

describe("evaluation rows", () => {
  const e = makeOutcome({
    variant: "canary",
    releaseId: "canary-v2",
    ts: Date.UTC(2026, 0, 1, 0, 5),
  });
  const job = sampleJob(route({ evaluators: ["mod"] }), e, {
    prompt: "p",
    context: null,
    answer: "a",
  });

  it("records scores with missing 0, or only missing 1 (and skipped when over budget)", () => {
    const ok = sampleEvaluationRows(job, "mod", { ok: true, metrics: { toxicity: 1 } });
    expect(Object.fromEntries(ok.map((r) => [r.metric, r.value]))).toEqual({
      toxicity: 1,
      eval_missing_mod: 0,
      eval_skipped_mod: 0,
    });
    expect(ok[0]).toMatchObject({
      variant: "canary",
      releaseId: "canary-v2",
      minute: Date.UTC(2026, 0, 1, 0, 5) / 60_000,
    });
    const failed = sampleEvaluationRows(job, "mod", {
      ok: false,
      reason: "failed",
      detail: "connect",
    });
    expect(Object.fromEntries(failed.map((r) => [r.metric, r.value]))).toEqual({
      eval_missing_mod: 1,
      eval_skipped_mod: 0,
    });
    const skipped = sampleEvaluationRows(job, "mod", {
      ok: false,
      reason: "over_budget",
      detail: "",
    });
    expect(Object.fromEntries(skipped.map((r) => [r.metric, r.value]))).toEqual({
      eval_missing_mod: 1,
      eval_skipped_mod: 1,
    });
  });

  it("puts a pair's result in the canary arm and 0.5 in the stable arm", () => {
    const pair = {
      v: 1 as const,
      kind: "pair" as const,
      requestId: "r1",
      ts: e.ts,
      step: e.step,
      routeId: "chat",
      rolloutId: "canary-v2",
      segment: null,
      country: null,
      cohort: null,
      requestClass: null,
      stableReleaseId: "stable-v1",
      canaryReleaseId: "canary-v2",
      judge: "judge",
      prompt: "p",
      context: null,
      stableAnswer: "s",
      canaryAnswer: "c",
    };
    const rows = pairEvaluationRows(pair, { ok: true, result: 1 });
    const win = rows.filter((r) => r.metric === "pairwise_win");
    expect(win.map((r) => [r.variant, r.releaseId, r.value, r.evaluator])).toEqual([
      ["canary", "canary-v2", 1, "pair:judge"],
      ["stable", "stable-v1", 0.5, "pair:judge"],
    ]);
    const missing = pairEvaluationRows(pair, { ok: false, reason: "unparseable", detail: "" });
    expect(missing.some((r) => r.metric === "pairwise_win")).toBe(false);
    expect(sampleRow(pair, 5)).toMatchObject({ kind: "pair", answer: "s", canaryAnswer: "c" });
  });
});

describe("unit groups of quality rows", () => {
  const r = route({ evaluators: ["mod"], sampleRate: { stable: 1, canary: 1 } });
  const texts = { prompt: "p", context: null, answer: "a" };

  it("a job carries its outcome's unit group, and its rows count in it", () => {
    const job = sampleJob(r, makeOutcome({ variant: "canary", unit: 17 }), texts);
    expect(job.unit).toBe(17);
    const rows = sampleEvaluationRows(job, "mod", { ok: true, metrics: { toxicity: 1 } });
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.unit).toBe(17);
    expect(sampleRow(job, 0).unit).toBe(17);
  });

  it("a job from an edge without units counts as its own unit, as an outcome does", () => {
    const { unit: _drop, ...old } = sampleJob(r, makeOutcome({ requestId: "req-old" }), texts);
    const rows = sampleEvaluationRows(old, "mod", { ok: true, metrics: { toxicity: 0 } });
    for (const row of rows) expect(row.unit).toBe(unitGroup("req-old"));
  });

  it("feedback counts in the token's unit group, or its request's without one", () => {
    const claims = {
      r: "req-f",
      route: "chat",
      rel: "canary-v2",
      var: "canary" as const,
      ro: "canary-v2",
      seg: null,
      c: "DE",
      co: null,
      cl: null,
      iat: 100,
    };
    expect(feedbackRow({ ...claims, u: 5 }, 1).unit).toBe(5);
    expect(feedbackRow(claims, 1).unit).toBe(unitGroup("req-f"));
  });
});
