import { describe, expect, it } from "vitest";
import {
  judgeContent,
  pairwiseRequest,
  scoreFromJudge,
  scoreRequest,
  winnerFromJudge,
} from "../../worker/eval/evaluators/judge";
import { moderationScores } from "../../worker/eval/evaluators/moderation";
import { perspectiveScores } from "../../worker/eval/evaluators/perspective";
import { combineSwapped } from "../../worker/eval/pairwise";
import { PAIRWISE_MARKER, RUBRIC_VERSION, SCORE_MARKER } from "../../worker/eval/rubrics/v1";

const chat = (content: string) => ({
  id: "x",
  object: "chat.completion",
  choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
});

describe("judge output parsing (strict)", () => {
  it("reads the rubric's JSON", () => {
    expect(
      scoreFromJudge(chat('{"relevance":4,"coherence":5,"hallucination":false}'), true),
    ).toEqual({
      ok: true,
      metrics: { relevance: 4, coherence: 5, hallucination: 0 },
    });
    expect(
      scoreFromJudge(chat('  {"relevance": 2, "coherence": 1, "hallucination": true}\n'), true),
    ).toEqual({ ok: true, metrics: { relevance: 2, coherence: 1, hallucination: 1 } });
  });

  it("ignores the hallucination verdict when the request had no context", () => {
    expect(
      scoreFromJudge(chat('{"relevance":5,"coherence":5,"hallucination":true}'), false),
    ).toEqual({
      ok: true,
      metrics: { relevance: 5, coherence: 5 },
    });
    expect(
      scoreFromJudge(chat('{"relevance":5,"coherence":5,"hallucination":null}'), false).ok,
    ).toBe(true);
  });

  it.each([
    ["prose", "The answer is relevant (5) and coherent (4)."],
    ["a code fence", '```json\n{"relevance":4,"coherence":5,"hallucination":false}\n```'],
    ["text around the JSON", 'Sure! {"relevance":4,"coherence":5,"hallucination":false}'],
    ["an extra key", '{"relevance":4,"coherence":5,"hallucination":false,"notes":"ok"}'],
    ["a missing key", '{"relevance":4,"hallucination":false}'],
    ["a score out of range", '{"relevance":6,"coherence":5,"hallucination":false}'],
    ["a fractional score", '{"relevance":4.5,"coherence":5,"hallucination":false}'],
    ["a score as a string", '{"relevance":"4","coherence":5,"hallucination":false}'],
    ["hallucination as a string", '{"relevance":4,"coherence":5,"hallucination":"no"}'],
    ["broken JSON", '{"relevance":4,"coherence":5,'],
    ["an array", "[4,5,false]"],
  ])("counts %s as missing, never as a pass", (_name, content) => {
    const r = scoreFromJudge(chat(content), true);
    expect(r).toMatchObject({ ok: false, reason: "unparseable" });
  });

  it("counts a null hallucination verdict as missing when there is context", () => {
    expect(
      scoreFromJudge(chat('{"relevance":4,"coherence":5,"hallucination":null}'), true),
    ).toMatchObject({ ok: false, reason: "unparseable" });
  });

  it("refuses responses that are not chat completions", () => {
    expect(judgeContent({ choices: [] })).toBeNull();
    expect(judgeContent({ error: { message: "overloaded" } })).toBeNull();
    expect(judgeContent(null)).toBeNull();
    expect(scoreFromJudge({ choices: [{ message: { content: null } }] }, false).ok).toBe(false);
  });

  it("reads a pairwise winner strictly", () => {
    expect(winnerFromJudge(chat('{"winner":"A"}'))).toBe("A");
    expect(winnerFromJudge(chat('{"winner":"tie"}'))).toBe("tie");
    expect(winnerFromJudge(chat('{"winner":"a"}'))).toBeNull();
    expect(winnerFromJudge(chat('{"winner":"B","why":"shorter"}'))).toBeNull();
    expect(winnerFromJudge(chat("B"))).toBeNull();
  });

  it("sends the versioned rubric as the system message", () => {
    const req = scoreRequest("judge-1", { prompt: "user: hi", context: null, answer: "hello" });
    const messages = req.messages as Array<{ role: string; content: string }>;
    expect(RUBRIC_VERSION).toBe("v1");
    expect(messages[0]!.content.startsWith(SCORE_MARKER)).toBe(true);
    expect(messages[1]!.content).toBe("PROMPT:\nuser: hi\n\nCONTEXT:\n(none)\n\nANSWER:\nhello");
    expect(req).toMatchObject({ model: "judge-1", temperature: 0 });
    const pair = pairwiseRequest("judge-1", { prompt: "p", context: "c" }, "first", "second");
    const pm = pair.messages as Array<{ role: string; content: string }>;
    expect(pm[0]!.content.startsWith(PAIRWISE_MARKER)).toBe(true);
    expect(pm[1]!.content).toContain("ANSWER A:\nfirst\n\nANSWER B:\nsecond");
  });
});

describe("pairwise combination with swapped positions", () => {
  it.each([
    ["B", "A", 1], // canary preferred in both positions
    ["A", "B", 0], // stable preferred in both positions
    ["A", "A", 0.5], // preferred whatever came first: position bias, a tie
    ["B", "B", 0.5], // preferred whatever came second
    ["tie", "tie", 0.5],
    ["B", "tie", 0.5],
    ["tie", "B", 0.5],
  ] as const)("first %s, swapped %s → %s", (first, swapped, result) => {
    expect(combineSwapped(first, swapped)).toBe(result);
  });
});

describe("moderation and Perspective responses", () => {
  it("flags from OpenAI moderation with the highest category score", () => {
    expect(
      moderationScores({
        results: [
          { flagged: true, categories: {}, category_scores: { harassment: 0.91, hate: 0.2 } },
        ],
      }),
    ).toEqual({ ok: true, metrics: { toxicity: 1, toxicity_score: 0.91 } });
    expect(
      moderationScores({ results: [{ flagged: false, category_scores: { harassment: 0.01 } }] }),
    ).toEqual({ ok: true, metrics: { toxicity: 0, toxicity_score: 0.01 } });
  });

  it("counts malformed moderation answers as missing", () => {
    expect(moderationScores({ results: [] }).ok).toBe(false);
    expect(moderationScores({ results: [{ flagged: "yes", category_scores: {} }] }).ok).toBe(false);
    expect(moderationScores({ error: "nope" }).ok).toBe(false);
  });

  it("reads Perspective's TOXICITY summary score with the 0.7 threshold", () => {
    const at = (value: number) => ({ attributeScores: { TOXICITY: { summaryScore: { value } } } });
    expect(perspectiveScores(at(0.82))).toEqual({
      ok: true,
      metrics: { toxicity: 1, toxicity_score: 0.82 },
    });
    expect(perspectiveScores(at(0.7))).toMatchObject({ metrics: { toxicity: 1 } });
    expect(perspectiveScores(at(0.69))).toMatchObject({ metrics: { toxicity: 0 } });
    expect(perspectiveScores({ attributeScores: {} }).ok).toBe(false);
    expect(perspectiveScores(at(1.5)).ok).toBe(false);
  });
});
