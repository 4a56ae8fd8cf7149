import { beforeAll, describe, expect, it } from "vitest";
import { certsUrl, jwksKeyCache, teamOrigin, verifyAccessJwt } from "../../worker/admin/access-jwt";
import type { AccessFixture } from "../fixtures/access";
import { accessFixture, AUDIENCE, TEAM_DOMAIN, unsignedToken } from "../fixtures/access";

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const settings = { teamDomain: TEAM_DOMAIN, audience: AUDIENCE };
let fx: AccessFixture;

beforeAll(async () => {
  fx = await accessFixture();
});

async function verify(token: string, now = NOW, keys = jwksKeyCache(fx.source)) {
  return verifyAccessJwt(token, settings, keys, now);
}

describe("verifyAccessJwt", () => {
  it("accepts a valid token and returns its email", async () => {
    const r = await verify(await fx.sign(fx.claims(NOW)));
    expect(r).toEqual({
      ok: true,
      claims: { email: "ops@example.com", commonName: null, sub: "user-123" },
    });
    expect(fx.fetched.at(-1)).toBe(`https://${TEAM_DOMAIN}/cdn-cgi/access/certs`);
  });

  it("accepts a single-string aud and a service token without email", async () => {
    const claims = fx.claims(NOW, { aud: AUDIENCE, email: undefined, common_name: "ci.access" });
    const r = await verify(await fx.sign(claims));
    expect(r).toMatchObject({ ok: true, claims: { email: null, commonName: "ci.access" } });
  });

  it.each([
    ["expired", { exp: NOW / 1000 - 1 }],
    ["expired", { exp: NOW / 1000 }],
    ["not_yet_valid", { nbf: NOW / 1000 + 3600 }],
    ["wrong_audience", { aud: ["another-app"] }],
    ["wrong_audience", { aud: [] }],
    ["wrong_issuer", { iss: "https://evil.cloudflareaccess.com" }],
    ["malformed", { exp: "tomorrow" }],
  ])("refuses %s claims %j", async (reason, over) => {
    const r = await verify(await fx.sign(fx.claims(NOW, over)));
    expect(r).toEqual({ ok: false, reason });
  });

  it("refuses alg none without asking for keys", async () => {
    const keys = jwksKeyCache(async () => {
      throw new Error("must not fetch keys for an unsigned token");
    });
    expect(await verify(unsignedToken(fx.claims(NOW)), NOW, keys)).toEqual({
      ok: false,
      reason: "unsupported_alg",
    });
  });

  it("refuses HS256 (the public key must never act as an HMAC secret)", async () => {
    const token = await fx.sign(fx.claims(NOW), { header: { alg: "HS256" } });
    expect(await verify(token)).toEqual({ ok: false, reason: "unsupported_alg" });
  });

  it("refuses an unknown or missing kid", async () => {
    const unknown = await fx.sign(fx.claims(NOW), { header: { kid: "nobody" } });
    expect(await verify(unknown)).toEqual({ ok: false, reason: "unknown_kid" });
    const missing = await fx.sign(fx.claims(NOW), { header: { kid: undefined } });
    expect(await verify(missing)).toEqual({ ok: false, reason: "unknown_kid" });
  });

  it("refuses a signature by another key and a tampered payload", async () => {
    const forged = await fx.sign(fx.claims(NOW), { key: fx.strangerKey });
    expect(await verify(forged)).toEqual({ ok: false, reason: "bad_signature" });
    const [h, , s] = (await fx.sign(fx.claims(NOW))).split(".");
    const other = (await fx.sign(fx.claims(NOW, { email: "admin@evil.test" }))).split(".")[1];
    expect(await verify(`${h}.${other}.${s}`)).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("checks the signature before the claims", async () => {
    const forgedExpired = await fx.sign(fx.claims(NOW, { exp: 1 }), { key: fx.strangerKey });
    expect(await verify(forgedExpired)).toEqual({ ok: false, reason: "bad_signature" });
  });

  it.each(["", "a.b", "a.b.c.d", "!!.e30.e30", "e30.bm90IGpzb24.abc"])(
    "refuses malformed token %j",
    async (token) => {
      expect(await verify(token)).toEqual({ ok: false, reason: "malformed" });
    },
  );

  it("reports an unreachable JWKS endpoint", async () => {
    const keys = jwksKeyCache(async () => {
      throw new Error("connect ECONNREFUSED");
    });
    expect(await verify(await fx.sign(fx.claims(NOW)), NOW, keys)).toEqual({
      ok: false,
      reason: "jwks_unavailable",
    });
  });
});

describe("jwksKeyCache", () => {
  it("fetches once while fresh, and refetches for a rotated key at most once per interval", async () => {
    const f = await accessFixture("rot-1");
    const keys = jwksKeyCache(f.source, { ttlMs: 600_000, minRefreshMs: 30_000 });
    for (let i = 0; i < 3; i++)
      expect(await verify(await f.sign(f.claims(NOW)), NOW, keys)).toMatchObject({ ok: true });
    expect(f.fetched).toHaveLength(1);

    const rotated = await f.rotate("rot-2");
    const fresh = await f.sign(f.claims(NOW + 1_000), { header: { kid: "rot-2" }, key: rotated });
    // Within the refresh interval an unknown kid does not hit the endpoint again.
    expect(await verify(fresh, NOW + 1_000, keys)).toEqual({ ok: false, reason: "unknown_kid" });
    expect(f.fetched).toHaveLength(1);
    expect(await verify(fresh, NOW + 31_000, keys)).toMatchObject({ ok: true });
    expect(f.fetched).toHaveLength(2);
  });

  it("keeps serving cached keys when a refresh fails", async () => {
    const f = await accessFixture("keep-1");
    let fail = false;
    const keys = jwksKeyCache(
      async (url) => {
        if (fail) throw new Error("down");
        return f.source(url);
      },
      { ttlMs: 60_000 },
    );
    expect(await verify(await f.sign(f.claims(NOW)), NOW, keys)).toMatchObject({ ok: true });
    fail = true;
    const later = NOW + 120_000;
    expect(await verify(await f.sign(f.claims(later)), later, keys)).toMatchObject({ ok: true });
  });

  it("normalizes the team domain", () => {
    expect(teamOrigin("https://acme.cloudflareaccess.com/")).toBe(
      "https://acme.cloudflareaccess.com",
    );
    expect(certsUrl("acme.cloudflareaccess.com")).toBe(
      "https://acme.cloudflareaccess.com/cdn-cgi/access/certs",
    );
  });
});
