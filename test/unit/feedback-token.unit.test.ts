import { describe, expect, it } from "vitest";
import {
  FEEDBACK_TOKEN_MAX_AGE_MS,
  signFeedbackToken,
  verifyFeedbackToken,
  type FeedbackClaims,
} from "../../worker/feedback/token";

const KEY = "unit-test-feedback-key-0123456789";
const NOW = Date.UTC(2026, 10, 27, 12, 0);
const claims: FeedbackClaims = {
  r: "req-1",
  route: "chat",
  rel: "canary-v2",
  var: "canary",
  ro: "canary-v2",
  seg: null,
  c: "DE",
  co: null,
  cl: null,
  iat: Math.floor(NOW / 1000),
};

const b64url = (s: string) => btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

describe("feedback tokens", () => {
  it("verifies a token it signed, for its request, within seven days", async () => {
    const token = await signFeedbackToken(claims, KEY);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(await verifyFeedbackToken(token, KEY, "req-1", NOW + 60_000)).toEqual({
      ok: true,
      claims,
    });
    expect(
      (await verifyFeedbackToken(token, KEY, "req-1", NOW + FEEDBACK_TOKEN_MAX_AGE_MS)).ok,
    ).toBe(true);
  });

  it("refuses a token signed with another key (forged)", async () => {
    const forged = await signFeedbackToken(claims, "someone-elses-key-0123456789");
    expect(await verifyFeedbackToken(forged, KEY, "req-1", NOW)).toEqual({
      ok: false,
      reason: "bad_signature",
    });
  });

  it("refuses a tampered token: changed claims under the old signature", async () => {
    const token = await signFeedbackToken(claims, KEY);
    const sig = token.split(".")[1]!;
    const changed = b64url(JSON.stringify({ ...claims, var: "stable", rel: "stable-v1" }));
    expect(await verifyFeedbackToken(`${changed}.${sig}`, KEY, "req-1", NOW)).toEqual({
      ok: false,
      reason: "bad_signature",
    });
    const flipped = token.slice(0, -2) + (token.endsWith("A") ? "B" : "A") + token.slice(-1);
    expect((await verifyFeedbackToken(flipped, KEY, "req-1", NOW)).ok).toBe(false);
  });

  it("refuses an expired token and one issued far in the future", async () => {
    const token = await signFeedbackToken(claims, KEY);
    expect(
      await verifyFeedbackToken(token, KEY, "req-1", NOW + FEEDBACK_TOKEN_MAX_AGE_MS + 1000),
    ).toEqual({
      ok: false,
      reason: "expired",
    });
    expect(await verifyFeedbackToken(token, KEY, "req-1", NOW - 60 * 60 * 1000)).toEqual({
      ok: false,
      reason: "expired",
    });
  });

  it("refuses a valid token presented for another request id", async () => {
    const token = await signFeedbackToken(claims, KEY);
    expect(await verifyFeedbackToken(token, KEY, "req-2", NOW)).toEqual({
      ok: false,
      reason: "wrong_request",
    });
  });

  it.each(["", "abc", "a.b.c", "!!.??", `${b64url("{}")}.`])("refuses malformed %j", async (t) => {
    const r = await verifyFeedbackToken(t, KEY, "req-1", NOW);
    expect(r.ok).toBe(false);
  });

  it("refuses a correctly signed body that is not valid claims", async () => {
    const { subtle } = crypto;
    const body = b64url(JSON.stringify({ r: "req-1" }));
    const key = await subtle.importKey(
      "raw",
      new TextEncoder().encode(KEY),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const mac = new Uint8Array(await subtle.sign("HMAC", key, new TextEncoder().encode(body)));
    const sig = b64url(String.fromCharCode(...mac));
    expect(await verifyFeedbackToken(`${body}.${sig}`, KEY, "req-1", NOW)).toEqual({
      ok: false,
      reason: "malformed",
    });
  });
});
