/**
 * Feedback tokens: the edge signs what it knows about a routed request, so
 * that feedback can only be given for a real request and is counted under
 * the release that answered it. No I/O and no clock: the caller passes `now`.
 *
 * Format: `base64url(JSON claims) "." base64url(HMAC-SHA256(key, first part))`.
 * Claims are readable by the client (they are not secret: ids of the route,
 * release and segment, the request's country, cohort and class) but not
 * changeable. Verification uses `crypto.subtle.verify`, which compares in
 * constant time.
 */
import { UNIT_GROUPS } from "../../contracts/assignment";
import * as z from "zod";
import { b64url, fromB64url } from "../base64url";

/** Tokens older than this are refused. */
export const FEEDBACK_TOKEN_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
/** Clock skew tolerated for tokens issued "in the future" by another edge. */
const MAX_SKEW_MS = 5 * 60 * 1000;

const Dim = z.string().max(128).nullable();

export const FeedbackClaimsSchema = z.strictObject({
  /** Request id. */
  r: z.string().min(1).max(128),
  route: z.string().min(1).max(128),
  /** Release that answered. */
  rel: z.string().min(1).max(128),
  /** Variant that answered (stable after a failover). */
  var: z.enum(["stable", "canary"]),
  /** Canary release under rollout ("" when none). */
  ro: z.string().max(128),
  seg: Dim,
  c: z.string().max(8).nullable(),
  co: Dim,
  cl: Dim,
  /** Issued at, epoch seconds. */
  iat: z.int().min(0),
  /** The rollout step key of the request (see `rolloutStep`); absent in older tokens. */
  st: z.int().min(0).optional(),
  /** The request's assignment-unit group; absent in older tokens (the request id's is taken). */
  u: z
    .int()
    .min(0)
    .max(UNIT_GROUPS - 1)
    .optional(),
});
export type FeedbackClaims = z.infer<typeof FeedbackClaimsSchema>;

export type VerifyResult =
  | { ok: true; claims: FeedbackClaims }
  | { ok: false; reason: "malformed" | "bad_signature" | "expired" | "wrong_request" };

const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey(
      "raw",
      encoder.encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    keys.clear(); // one signing key per deployment; never keep old ones around
    keys.set(secret, key);
  }
  return key;
}

/**
 * Signs claims with the deployment's key.
 *
 * @example
 * const token = await signFeedbackToken({ r: "req-1", route: "chat", rel: "v2", var: "canary",
 *   ro: "v2", seg: null, c: "DE", co: null, cl: null, iat: 1_800_000_000 }, env.FEEDBACK_SIGNING_KEY);
 */
export async function signFeedbackToken(claims: FeedbackClaims, secret: string): Promise<string> {
  const body = b64url(encoder.encode(JSON.stringify(claims)));
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode(body));
  return `${body}.${b64url(new Uint8Array(mac))}`;
}

/**
 * Verifies a token for a request id at `now` (epoch ms): signature first, then
 * the request id and the age.
 *
 * @example
 * const v = await verifyFeedbackToken(token, key, "req-1", Date.now());
 * if (!v.ok) return c.json(..., 401);
 */
export async function verifyFeedbackToken(
  token: string,
  secret: string,
  requestId: string,
  now: number,
): Promise<VerifyResult> {
  const parts = token.split(".");
  if (parts.length !== 2 || token.length > 4096) return { ok: false, reason: "malformed" };
  const [body, sig] = parts as [string, string];
  const mac = fromB64url(sig);
  if (mac === null || fromB64url(body) === null) return { ok: false, reason: "malformed" };
  const valid = await crypto.subtle.verify(
    "HMAC",
    await hmacKey(secret),
    mac,
    encoder.encode(body),
  );
  if (!valid) return { ok: false, reason: "bad_signature" };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(fromB64url(body)!));
  } catch {
    return { ok: false, reason: "malformed" };
  }
  const claims = FeedbackClaimsSchema.safeParse(json);
  if (!claims.success) return { ok: false, reason: "malformed" };
  if (claims.data.r !== requestId) return { ok: false, reason: "wrong_request" };
  const age = now - claims.data.iat * 1000;
  if (age > FEEDBACK_TOKEN_MAX_AGE_MS || age < -MAX_SKEW_MS)
    return { ok: false, reason: "expired" };
  return { ok: true, claims: claims.data };
}
