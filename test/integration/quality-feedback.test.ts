/**
 * `POST /v1/feedback` with the token the edge returned: counted once per
 * request under the release that answered; forged, tampered, expired,
 * misdirected and replayed tokens refused.
 */
import { env, SELF } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { signFeedbackToken, type FeedbackClaims } from "../../worker/feedback/token";
import { putConfig, resetStorage } from "../fixtures/analyzer";
import { chatBody, uniqueTag } from "../fixtures/edge";
import { postChat, qualityConfig, rollup } from "../fixtures/quality";

beforeEach(resetStorage);

function feedback(body: unknown): Promise<Response> {
  return SELF.fetch("http://edge.test/v1/feedback", {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
  });
}

async function routed(user: string) {
  const res = await postChat(chatBody(), { "x-canary-user": user });
  await res.text();
  return {
    requestId: res.headers.get("x-request-id")!,
    token: res.headers.get("x-canary-feedback-token")!,
    variant: res.headers.get("x-canary-variant")!,
    release: res.headers.get("x-canary-release")!,
  };
}

const b64url = (s: string) => btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const decode = (part: string) =>
  JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/"))) as FeedbackClaims;

describe("feedback", () => {
  it("counts one positive and one negative verdict per request, under the answering release", async () => {
    const tag = uniqueTag("fb");
    await putConfig(qualityConfig(tag, { route: { weight: 100 } }));
    const a = await routed("fb-a");
    const b = await routed("fb-b");
    expect(a.token).toMatch(/^[\w-]+\.[\w-]+$/);
    expect(decode(a.token.split(".")[0]!)).toMatchObject({
      r: a.requestId,
      route: "chat",
      rel: `canary-${tag}`,
      var: "canary",
      ro: `canary-${tag}`,
    });
    const first = await feedback({ request_id: a.requestId, token: a.token, label: "positive" });
    expect(first.status).toBe(201);
    expect(await first.json()).toEqual({ request_id: a.requestId, recorded: true });
    expect((await feedback({ request_id: b.requestId, token: b.token, score: -0.5 })).status).toBe(
      201,
    );
    expect(await rollup("chat", "feedback_positive", "canary")).toEqual({ n: 2, sum: 1 });
    const row = await env.DB.prepare(
      "select release_id, variant, score from feedback where request_id = ?",
    )
      .bind(b.requestId)
      .first();
    expect(row).toEqual({ release_id: `canary-${tag}`, variant: "canary", score: -0.5 });
  });

  it("refuses a replayed token with 409 and counts nothing more", async () => {
    const tag = uniqueTag("fbreplay");
    await putConfig(qualityConfig(tag, { route: { weight: 0 } }));
    const a = await routed("fb-r");
    expect((await feedback({ request_id: a.requestId, token: a.token, score: 1 })).status).toBe(
      201,
    );
    const replay = await feedback({ request_id: a.requestId, token: a.token, score: -1 });
    expect(replay.status).toBe(409);
    expect(await replay.json()).toMatchObject({ error: { code: "feedback_exists" } });
    expect(await rollup("chat", "feedback_positive", "stable")).toEqual({ n: 1, sum: 1 });
  });

  it("refuses forged, tampered, expired and misdirected tokens with 401", async () => {
    const tag = uniqueTag("fbbad");
    await putConfig(qualityConfig(tag, { route: { weight: 0 } }));
    const a = await routed("fb-x");
    const b = await routed("fb-y");
    const claims = decode(a.token.split(".")[0]!);
    const forged = await signFeedbackToken(
      { ...claims, var: "canary" },
      "not-the-deployment-key-000",
    );
    const tampered = `${b64url(JSON.stringify({ ...claims, rel: `canary-${tag}`, var: "canary" }))}.${a.token.split(".")[1]}`;
    const expired = await signFeedbackToken(
      { ...claims, iat: Math.floor(Date.now() / 1000) - 8 * 24 * 3600 },
      env.FEEDBACK_SIGNING_KEY!,
    );
    const cases: Array<[string, unknown, string]> = [
      ["forged", { request_id: a.requestId, token: forged, score: 1 }, "token_bad_signature"],
      ["tampered", { request_id: a.requestId, token: tampered, score: 1 }, "token_bad_signature"],
      ["expired", { request_id: a.requestId, token: expired, score: 1 }, "token_expired"],
      [
        "another request's",
        { request_id: b.requestId, token: a.token, score: 1 },
        "token_wrong_request",
      ],
      ["garbage", { request_id: a.requestId, token: "x.y.z", score: 1 }, "token_malformed"],
    ];
    for (const [name, body, code] of cases) {
      const res = await feedback(body);
      expect(res.status, name).toBe(401);
      expect(await res.json(), name).toMatchObject({
        error: { type: "authentication_error", code },
      });
    }
    expect(await rollup("chat", "feedback_positive", "canary")).toEqual({ n: 0, sum: 0 });
    expect(await rollup("chat", "feedback_positive", "stable")).toEqual({ n: 0, sum: 0 });
    // The genuine token still works afterwards.
    expect(
      (await feedback({ request_id: a.requestId, token: a.token, label: "negative" })).status,
    ).toBe(201);
  });

  it("validates the body, naming the field", async () => {
    const res = await feedback({ request_id: "r", token: "t", score: 2 });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_feedback" } });
    const both = await feedback({ request_id: "r", token: "t", score: 1, label: "positive" });
    expect(((await both.json()) as { error: { message: string } }).error.message).toMatch(
      /^score: give exactly one of score/,
    );
  });
});
