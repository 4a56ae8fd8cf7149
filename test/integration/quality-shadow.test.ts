/**
 * Paired shadow judging through the real edge and queues: the client gets
 * stable's answer at stable's speed, the canary is called only after the
 * client's response ended, and the judge compares both orders.
 */
import { env, SELF } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { putConfig, resetStorage } from "../fixtures/analyzer";
import { chatBody, originRequests, uniqueTag } from "../fixtures/edge";
import {
  evaluationsOf,
  evaluatorRequests,
  postChat,
  qualityConfig,
  rollup,
  simEvaluator,
  waitFor,
} from "../fixtures/quality";

beforeEach(resetStorage);

function shadowConfig(
  tag: string,
  stable: Record<string, string | number | boolean>,
  canary: Record<string, string | number | boolean>,
) {
  return qualityConfig(tag, {
    evaluators: [simEvaluator("judge", "judge", tag)],
    stable,
    canary,
    route: {
      weight: 0,
      evaluation: {
        sampleRate: { stable: 0, canary: 0 },
        evaluators: ["judge"],
        shadow: { rate: 1, maxPerMinute: 100 },
      },
    },
  });
}

/** The answer text of a chat completions stream. */
function sseContent(stream: string): string {
  return stream
    .split("\n")
    .filter((l) => l.startsWith("data: {"))
    .map((l) => {
      const event = JSON.parse(l.slice(6)) as { choices: Array<{ delta: { content?: string } }> };
      return event.choices[0]?.delta.content ?? "";
    })
    .join("");
}

async function pairResult(requestId: string): Promise<{ canary: number; stable: number }> {
  const rows = await waitFor("the pair's result", async () => {
    const r = (await evaluationsOf(requestId)).filter((x) => x.metric === "pairwise_win");
    return r.length === 2 ? r : null;
  });
  const of = (v: string) => rows.find((r) => r.variant === v)!.value;
  return { canary: of("canary"), stable: of("stable") };
}

interface Judged {
  a: string;
  b: string;
  winner: string;
}

/** The judge's pairwise calls for a tag: which answer sat in which position. */
async function pairwiseCalls(tag: string): Promise<Judged[]> {
  const calls = await evaluatorRequests(tag);
  return calls.map((c) => {
    const user = (c.body.messages as Array<{ role: string; content: string }>)[1]!.content;
    const m = /ANSWER A:\n([\s\S]*?)\n\nANSWER B:\n([\s\S]*)$/.exec(user)!;
    return { a: m[1]!, b: m[2]!, winner: "" };
  });
}

describe("shadow judging", () => {
  it("answers with stable alone, at stable's speed, and replays on the canary afterwards", async () => {
    const tag = uniqueTag("shadow");
    await putConfig(
      shadowConfig(
        tag,
        { text: "Stable says: canary releases limit risk." },
        {
          latencyMs: 1500,
          text: "Canary says: canary releases limit risk.",
        },
      ),
    );
    const res = await postChat(chatBody({ stream: true }), { "x-canary-user": "shadow-user" });
    const text = sseContent(await res.text());
    const clientDoneAt = Date.now();
    expect(res.headers.get("x-canary-variant")).toBe("stable");
    expect(text).toContain("Stable says");
    expect(text).not.toContain("Canary says");

    const requestId = res.headers.get("x-request-id")!;
    const [shadowCall] = await waitFor("the canary's shadow request", async () => {
      const r = await originRequests("canary", tag);
      return r.length > 0 ? r : null;
    });
    expect(shadowCall!.body).toMatchObject({ model: "canary-model", stream: false });
    expect(shadowCall!.body).not.toHaveProperty("stream_options");
    expect(shadowCall!.headers["x-request-id"]).toBe(requestId);
    const [stableCall] = await originRequests("stable", tag);
    const recorded = await (
      await fetch(`${env.ORIGIN_STABLE}/__sim/requests?tag=${encodeURIComponent(`${tag}-stable`)}`)
    ).json<Array<{ finishedAt: number }>>();
    const canaryRecorded = await (
      await fetch(`${env.ORIGIN_CANARY}/__sim/requests?tag=${encodeURIComponent(`${tag}-canary`)}`)
    ).json<Array<{ at: number }>>();
    expect(stableCall).toBeDefined();
    // The shadow call reached the canary only after stable's response to the client had ended.
    expect(canaryRecorded[0]!.at).toBeGreaterThanOrEqual(recorded[0]!.finishedAt);
    // The canary takes 1,500 ms; the client had its whole answer before the canary's ended
    // (an order of events, not a duration, so a loaded machine cannot fail it).
    const [canaryDone] = await waitFor("the canary's shadow answer to end", async () => {
      const r = await (
        await fetch(
          `${env.ORIGIN_CANARY}/__sim/requests?tag=${encodeURIComponent(`${tag}-canary`)}`,
        )
      ).json<Array<{ finishedAt: number | null }>>();
      return r[0]?.finishedAt != null ? r : null;
    });
    expect(clientDoneAt).toBeLessThan(canaryDone!.finishedAt!);

    const result = await pairResult(requestId);
    expect(result.stable).toBe(0.5);
    expect(await rollup("chat", "requests", "canary")).toEqual({ n: 0, sum: 0 });
  });

  it("judges both orders and cancels the judge's position bias", async () => {
    const cases = [
      // [stable behaviour, canary behaviour, canary result, verdicts (first order, swapped)]
      [{}, { mode: "hallucinating" }, 0, ["A", "B"]],
      [{ mode: "toxic" }, {}, 1, ["B", "A"]],
      // Equally good answers: the judge prefers position A both times, which is a tie.
      [{}, {}, 0.5, ["A", "A"]],
    ] as const;
    for (const [stable, canary, expected, verdicts] of cases) {
      const tag = uniqueTag("pair");
      await putConfig(shadowConfig(tag, stable, canary));
      const res = await postChat(chatBody(), { "x-canary-user": `pair-${tag}` });
      await res.text();
      const result = await pairResult(res.headers.get("x-request-id")!);
      expect(result).toEqual({ canary: expected, stable: 0.5 });
      const calls = await pairwiseCalls(tag);
      expect(calls).toHaveLength(2);
      expect(await originRequests("stable", tag)).toHaveLength(1);
      // The same two answers, once in each position.
      expect(calls[0]!.a).toBe(calls[1]!.b);
      expect(calls[0]!.b).toBe(calls[1]!.a);
      // First order: stable's answer in position A.
      expect(calls[0]!.a).not.toContain("canary origin");
      expect(calls[0]!.b).not.toContain("stable origin");
      const winners = await Promise.all(
        calls.map(async (c) => {
          const judged = await fetch(`${env.ORIGIN_STABLE}/v1/chat/completions`, {
            method: "POST",
            body: JSON.stringify({
              model: "j",
              messages: [
                { role: "system", content: "[llm-canary rubric v1: pairwise]" },
                {
                  role: "user",
                  content: `PROMPT:\nuser: Hello there\n\nCONTEXT:\n(none)\n\nANSWER A:\n${c.a}\n\nANSWER B:\n${c.b}`,
                },
              ],
            }),
          });
          const body = await judged.json<{ choices: Array<{ message: { content: string } }> }>();
          return (JSON.parse(body.choices[0]!.message.content) as { winner: string }).winner;
        }),
      );
      expect(winners).toEqual(verdicts);
    }
    const win = await rollup("chat", "pairwise_win", "canary");
    expect(win).toEqual({ n: 3, sum: 1.5 });
    expect(await rollup("chat", "pairwise_win", "stable")).toEqual({ n: 3, sum: 1.5 });
  });

  it("never replays a request marked non-idempotent, or a non-generation path", async () => {
    const tag = uniqueTag("idem");
    await putConfig(shadowConfig(tag, {}, {}));
    const marked = await postChat(chatBody(), {
      "x-canary-user": "idem-1",
      "x-canary-idempotent": "false",
    });
    await marked.text();
    const embed = await SELF.fetch("http://edge.test/v1/embeddings", {
      method: "POST",
      body: JSON.stringify({ model: "gpt-test", input: "hello" }),
      headers: { "content-type": "application/json", "x-canary-user": "idem-3" },
    });
    await embed.text();
    expect(embed.status).toBe(200);
    const plain = await postChat(chatBody(), { "x-canary-user": "idem-2" });
    await plain.text();
    const calls = await waitFor("the unmarked request's shadow", async () => {
      const r = await originRequests("canary", tag);
      return r.length > 0 ? r : null;
    });
    // Give a stray shadow of the marked request time to show up, then check there is none.
    await pairResult(plain.headers.get("x-request-id")!);
    const ids = (await originRequests("canary", tag)).map((r) => r.headers["x-request-id"]);
    expect(calls.length).toBe(1);
    expect(ids).toEqual([plain.headers.get("x-request-id")]);
  });
});
