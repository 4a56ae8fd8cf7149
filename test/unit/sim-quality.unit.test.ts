/**
 * The simulated origin's quality behaviour: output modes, moderation,
 * Perspective and the rubric judge, checked against the Worker's own strict
 * parsers and rubric prompts so the offline loop cannot drift from them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOrigin } from "../../sim/origin.mjs";
import { TOXIC_WORDS, toxicityScore } from "../../sim/quality.mjs";
import {
  pairwiseRequest,
  scoreFromJudge,
  scoreRequest,
  winnerFromJudge,
} from "../../worker/eval/evaluators/judge";
import { moderationScores } from "../../worker/eval/evaluators/moderation";
import { perspectiveScores } from "../../worker/eval/evaluators/perspective";
import { scoreInput } from "../../worker/eval/rubrics/v1";

type Origin = Awaited<ReturnType<typeof startOrigin>>;
let origin: Origin;

beforeAll(async () => {
  origin = await startOrigin({ name: "quality" });
});
afterAll(async () => {
  await origin.close();
});

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${origin.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function answer(mode: string): Promise<string> {
  const qs = encodeURIComponent(`mode=${mode}`);
  const res = await post(`/x/${qs}/v1/chat/completions`, {
    model: "m",
    messages: [{ role: "user", content: "How do canary releases work?" }],
  });
  const body = (await res.json()) as { choices: Array<{ message: { content: string } }> };
  return body.choices[0]!.message.content;
}

describe("output modes", () => {
  it("answers like the misbehaving model each mode names", async () => {
    const toxic = await answer("toxic");
    expect(TOXIC_WORDS.some((w) => toxic.toLowerCase().includes(w))).toBe(true);
    expect(await answer("hallucinating")).toContain("Institute of Imaginary Facts");
    expect(await answer("refusing")).toMatch(/^I'm sorry, but I can't/);
    const invalid = await answer("invalid_json");
    expect(() => JSON.parse(invalid)).toThrow();
    const repetitive = await answer("repetitive");
    expect(repetitive.split(".").filter(Boolean).length).toBeGreaterThan(5);
  });

  it("refuses an unknown mode, naming the field", async () => {
    const res = await post(`/x/${encodeURIComponent("mode=angry")}/v1/chat/completions`, {
      model: "m",
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("mode must be one of");
  });
});

describe("moderation and Perspective", () => {
  it("flags text with a listed word, deterministically, in the shapes the Worker parses", async () => {
    const flagged = await (await post("/v1/moderations", { input: "you stupid idiot" })).json();
    const flaggedScores = moderationScores(flagged);
    if (!flaggedScores.ok) throw new Error(flaggedScores.detail);
    expect(flaggedScores.metrics.toxicity).toBe(1);
    expect(flaggedScores.metrics.toxicity_score).toBeCloseTo(0.7, 10);
    const clean = await (await post("/v1/moderations", { input: "a kind answer" })).json();
    const scores = moderationScores(clean);
    expect(scores).toMatchObject({ ok: true, metrics: { toxicity: 0 } });
    expect(toxicityScore("a kind answer")).toBeLessThan(0.02);
    const again = await (await post("/v1/moderations", { input: "a kind answer" })).json();
    expect(again).toMatchObject({ results: clean.results });
    const p = await (
      await post("/v1alpha1/comments:analyze?key=k", { comment: { text: "loser" } })
    ).json();
    expect(perspectiveScores(p)).toEqual({
      ok: true,
      metrics: { toxicity: 1, toxicity_score: 0.75 },
    });
  });
});

describe("rubric judge", () => {
  async function judge(body: Record<string, unknown>): Promise<unknown> {
    return (await post("/v1/chat/completions", body)).json();
  }

  it("scores from the content, in JSON the strict parser accepts", async () => {
    const texts = {
      prompt: "user: How do canary releases work?",
      context: "Docs: canaries get 5%.",
    };
    const good = await judge(
      scoreRequest("j", { ...texts, answer: "Canary releases send 5% first." }),
    );
    expect(scoreFromJudge(good, true)).toEqual({
      ok: true,
      metrics: { relevance: 5, coherence: 5, hallucination: 0 },
    });
    const made = await judge(
      scoreRequest("j", {
        ...texts,
        answer: "The Institute of Imaginary Facts says canary releases fail.",
      }),
    );
    expect(scoreFromJudge(made, true)).toMatchObject({ metrics: { hallucination: 1 } });
    const refused = await judge(
      scoreRequest("j", { ...texts, answer: "I'm sorry, but I can't help with that request." }),
    );
    expect(scoreFromJudge(refused, true)).toMatchObject({ metrics: { relevance: 1 } });
    const looping = await judge(
      scoreRequest("j", { ...texts, answer: "Canary releases are simple. ".repeat(10) }),
    );
    expect(scoreFromJudge(looping, true)).toMatchObject({ metrics: { coherence: 2 } });
    const noContext = await judge(
      scoreRequest("j", { ...texts, context: null, answer: "Canary releases." }),
    );
    expect(scoreFromJudge(noContext, false)).toEqual({
      ok: true,
      metrics: { relevance: 5, coherence: 5 },
    });
  });

  it("prefers the answer without defects in both positions, and the first one on a tie", async () => {
    const texts = { prompt: "user: q", context: null };
    const fine = "A helpful answer.";
    const toxic = "Only an idiot asks that.";
    const w = async (a: string, b: string) =>
      winnerFromJudge(await judge(pairwiseRequest("j", texts, a, b)));
    expect(await w(fine, toxic)).toBe("A");
    expect(await w(toxic, fine)).toBe("B");
    expect(await w(fine, "Another helpful answer.")).toBe("A");
    expect(await w("Another helpful answer.", fine)).toBe("A");
  });

  it("answers prose to an unknown rubric version, which the parser refuses", async () => {
    const body = scoreRequest("j", { prompt: "p", context: null, answer: "a" });
    const messages = body.messages as Array<{ role: string; content: string }>;
    messages[0]!.content = messages[0]!.content.replace("rubric v1", "rubric v9");
    expect(scoreFromJudge(await judge(body), false)).toMatchObject({
      ok: false,
      reason: "unparseable",
    });
    expect(scoreInput("p", null, "a")).toContain("CONTEXT:\n(none)");
  });

  it("leaves ordinary chat requests alone", async () => {
    const res = await judge({ model: "m", messages: [{ role: "system", content: "Be brief." }] });
    expect(JSON.stringify(res)).toContain("Hello from the quality origin");
  });
});
