/**
 * Cloudflare Access JWT verification for the admin API.
 *
 * Access signs the `Cf-Access-Jwt-Assertion` header with RS256 keys published
 * at `https://<team>/cdn-cgi/access/certs`. A token is accepted only when its
 * header names RS256 (never `none` or an HMAC algorithm that could be fed the
 * public key), its `kid` is a published key, the signature verifies, and the
 * claims say: not expired, issued by the team, for our application audience.
 * The signature is checked before any claim so a forged token learns nothing.
 *
 * Keys come from a `JwksSource` (production: `fetch`), cached in the isolate;
 * an unknown `kid` triggers at most one refetch per `minRefreshMs` so a key
 * rotation is picked up without letting garbage tokens hammer the endpoint.
 */
import * as z from "zod";
import { fromB64url } from "../base64url";

export interface AccessSettings {
  /** The team domain, e.g. `acme.cloudflareaccess.com` (a scheme is tolerated). */
  teamDomain: string;
  /** The Access application audience tag (`aud`). */
  audience: string;
}

/** Returns the parsed JSON of a JWKS URL; throws when it cannot. */
export type JwksSource = (url: string) => Promise<unknown>;

export interface AccessClaims {
  email: string | null;
  /** Service tokens carry a `common_name` instead of an email. */
  commonName: string | null;
  sub: string | null;
}

export type AccessFailure =
  | "malformed"
  | "unsupported_alg"
  | "unknown_kid"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "wrong_issuer"
  | "wrong_audience"
  | "jwks_unavailable";

export type AccessResult =
  { ok: true; claims: AccessClaims } | { ok: false; reason: AccessFailure };

/** Clock skew tolerated for `nbf` (never for `exp`). */
const NBF_LEEWAY_S = 60;

const ALGORITHM = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

/** `https://acme.cloudflareaccess.com` from `acme.cloudflareaccess.com` or a URL. */
export function teamOrigin(teamDomain: string): string {
  const host = teamDomain
    .trim()
    .replace(/^https?:\/\//i, "")
    .replace(/\/+$/, "");
  return `https://${host}`;
}

export function certsUrl(teamDomain: string): string {
  return `${teamOrigin(teamDomain)}/cdn-cgi/access/certs`;
}

/** The production key source: a plain `fetch` of the certs URL. */
export function fetchJwks(fetcher: typeof fetch = fetch): JwksSource {
  return async (url) => {
    const res = await fetcher(url, { headers: { accept: "application/json" } });
    if (!res.ok) throw new Error(`JWKS ${url} answered ${res.status}`);
    return res.json();
  };
}

const JwksSchema = z.object({
  keys: z.array(
    z.looseObject({ kid: z.string().min(1), kty: z.string(), n: z.string(), e: z.string() }),
  ),
});

interface CachedSet {
  fetchedAt: number;
  keys: Map<string, CryptoKey>;
}

export interface KeyCacheOptions {
  /** How long a fetched key set is trusted (default 10 minutes). */
  ttlMs?: number;
  /** Least time between refetches caused by an unknown `kid` (default 30 s). */
  minRefreshMs?: number;
}

/** Looks up a verification key by JWKS URL and `kid`. */
export type KeyLookup = (url: string, kid: string, now: number) => Promise<CryptoKey | null>;

async function importKeys(raw: unknown): Promise<Map<string, CryptoKey>> {
  const parsed = JwksSchema.safeParse(raw);
  if (!parsed.success) throw new Error("JWKS document has no usable keys");
  const keys = new Map<string, CryptoKey>();
  for (const k of parsed.data.keys) {
    if (k.kty !== "RSA" || (k.alg !== undefined && k.alg !== "RS256")) continue;
    try {
      const jwk = { kty: "RSA", n: k.n, e: k.e, alg: "RS256", ext: true };
      keys.set(k.kid, await crypto.subtle.importKey("jwk", jwk, ALGORITHM, false, ["verify"]));
    } catch {
      // A malformed key in the set must not hide the others.
    }
  }
  return keys;
}

/**
 * An isolate-level cache of JWKS keys in front of `source`. Throws from the
 * lookup only when no key set was ever fetched for the URL.
 *
 * @example
 * const keys = jwksKeyCache(fetchJwks());
 * const key = await keys(certsUrl("acme.cloudflareaccess.com"), "kid-1", Date.now());
 */
export function jwksKeyCache(source: JwksSource, opts: KeyCacheOptions = {}): KeyLookup {
  const ttlMs = opts.ttlMs ?? 10 * 60_000;
  const minRefreshMs = opts.minRefreshMs ?? 30_000;
  const sets = new Map<string, CachedSet>();
  const inflight = new Map<string, Promise<CachedSet>>();

  const refresh = (url: string, now: number): Promise<CachedSet> => {
    let p = inflight.get(url);
    if (!p) {
      p = source(url)
        .then(importKeys)
        .then((keys) => {
          const set = { fetchedAt: now, keys };
          sets.set(url, set);
          return set;
        })
        .finally(() => inflight.delete(url));
      inflight.set(url, p);
    }
    return p;
  };

  return async (url, kid, now) => {
    const cached = sets.get(url);
    const fresh = cached !== undefined && now - cached.fetchedAt < ttlMs;
    if (fresh && cached.keys.has(kid)) return cached.keys.get(kid)!;
    if (fresh && now - cached.fetchedAt < minRefreshMs) return null;
    try {
      return (await refresh(url, now)).keys.get(kid) ?? null;
    } catch (e) {
      if (!cached) throw e;
      // Keep serving the last key set while the certs endpoint is unreachable.
      return cached.keys.get(kid) ?? null;
    }
  };
}

function base64UrlBytes(part: string): Uint8Array {
  const bytes = fromB64url(part);
  if (!bytes) throw new Error("not base64url");
  return bytes;
}

function base64UrlJson(part: string): unknown {
  return JSON.parse(
    new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(base64UrlBytes(part)),
  );
}

const HeaderSchema = z.object({ alg: z.string(), kid: z.string().min(1).optional() });

const ClaimsSchema = z.object({
  exp: z.number(),
  nbf: z.number().optional(),
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  email: z.string().optional(),
  common_name: z.string().optional(),
  sub: z.string().optional(),
});

/**
 * Verifies an Access JWT. `now` is epoch milliseconds.
 *
 * @example
 * const r = await verifyAccessJwt(token, { teamDomain, audience }, keys, Date.now());
 * if (r.ok) console.log(r.claims.email);
 */
export async function verifyAccessJwt(
  token: string,
  settings: AccessSettings,
  keys: KeyLookup,
  now: number,
): Promise<AccessResult> {
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, reason: "malformed" };
  const [h, p, s] = parts as [string, string, string];
  let header: z.infer<typeof HeaderSchema>;
  let payload: unknown;
  let signature: Uint8Array;
  try {
    const parsedHeader = HeaderSchema.safeParse(base64UrlJson(h));
    if (!parsedHeader.success) return { ok: false, reason: "malformed" };
    header = parsedHeader.data;
    payload = base64UrlJson(p);
    signature = base64UrlBytes(s);
  } catch {
    return { ok: false, reason: "malformed" };
  }
  if (header.alg !== "RS256") return { ok: false, reason: "unsupported_alg" };
  if (header.kid === undefined) return { ok: false, reason: "unknown_kid" };

  let key: CryptoKey | null;
  try {
    key = await keys(certsUrl(settings.teamDomain), header.kid, now);
  } catch {
    return { ok: false, reason: "jwks_unavailable" };
  }
  if (!key) return { ok: false, reason: "unknown_kid" };
  const signed = new TextEncoder().encode(`${h}.${p}`);
  const valid = await crypto.subtle.verify(ALGORITHM, key, signature, signed);
  if (!valid) return { ok: false, reason: "bad_signature" };

  const claims = ClaimsSchema.safeParse(payload);
  if (!claims.success) return { ok: false, reason: "malformed" };
  const c = claims.data;
  const nowS = now / 1000;
  if (!(c.exp > nowS)) return { ok: false, reason: "expired" };
  if (c.nbf !== undefined && c.nbf > nowS + NBF_LEEWAY_S)
    return { ok: false, reason: "not_yet_valid" };
  if (c.iss.replace(/\/+$/, "") !== teamOrigin(settings.teamDomain))
    return { ok: false, reason: "wrong_issuer" };
  const audiences = Array.isArray(c.aud) ? c.aud : [c.aud];
  if (!audiences.includes(settings.audience)) return { ok: false, reason: "wrong_audience" };
  return {
    ok: true,
    claims: { email: c.email ?? null, commonName: c.common_name ?? null, sub: c.sub ?? null },
  };
}
