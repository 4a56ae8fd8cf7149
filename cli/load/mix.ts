/**
 * The traffic mix of `llm-canary load`: which country, cohort, request class,
 * user and streaming mode each request gets. Pure and seeded, so one seed
 * always yields the same request sequence.
 *
 * A weighted list is written `US:40,DE:25,BR` (a bare value weighs 1). The
 * value `-` means "no header" (e.g. `--cohorts internal:5,-:95`).
 */
import { mulberry32, pickCumulative, type Random } from "../../analyzer";

export interface Weighted {
  value: string;
  weight: number;
}

/** What varies between requests; every list may be empty (header never sent). */
export interface TrafficMix {
  countries: Weighted[];
  cohorts: Weighted[];
  classes: Weighted[];
  /** Size of the user pool (`x-canary-user: user-<i>`); 0 sends no user header. */
  users: number;
  /** Share of streaming requests, 0..1. */
  streamShare: number;
}

/** One drawn request: `null` means the header is not sent. */
export interface RequestShape {
  country: string | null;
  cohort: string | null;
  requestClass: string | null;
  user: string | null;
  stream: boolean;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Value meaning "send no header" in a weighted list. */
export const NONE = "-";
const VALUE = /^[\x21-\x7e]{1,64}$/;

/**
 * Parses `A:3,B:1,C` into weighted values.
 *
 * @example
 * parseWeighted("US:40,DE:25,BR"); // { ok: true, value: [{value:"US",weight:40}, ...] }
 */
export function parseWeighted(text: string): ParseResult<Weighted[]> {
  const items: Weighted[] = [];
  for (const part of text.split(",")) {
    const piece = part.trim();
    if (piece === "") continue;
    const at = piece.lastIndexOf(":");
    const value = at === -1 ? piece : piece.slice(0, at);
    const weightText = at === -1 ? "1" : piece.slice(at + 1);
    const weight = Number(weightText);
    if (!VALUE.test(value) || value.includes(":"))
      return { ok: false, error: `"${value}" is not a valid value (1-64 printable characters)` };
    if (weightText.trim() === "" || !Number.isFinite(weight) || weight < 0)
      return { ok: false, error: `weight of "${value}" must be a number ≥ 0, got "${weightText}"` };
    items.push({ value, weight });
  }
  if (items.length > 0 && items.every((i) => i.weight === 0))
    return { ok: false, error: "at least one weight must be above 0" };
  return { ok: true, value: items };
}

/**
 * Parses a duration: `500ms`, `30s`, `2m`, `1h`, or a bare number of seconds.
 *
 * @example parseDuration("2m"); // { ok: true, value: 120000 }
 */
export function parseDuration(text: string): ParseResult<number> {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return { ok: false, error: `"${text}" is not a duration (e.g. 500ms, 30s, 2m)` };
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? "s"] ?? 1000;
  return { ok: true, value: Math.round(n * unit) };
}

/** A picker over a weighted list: `null` for an empty list or the `-` value. */
function picker(items: readonly Weighted[]): (rand: Random) => string | null {
  if (items.length === 0) return () => null;
  const cumulative: number[] = [];
  let total = 0;
  for (const i of items) cumulative.push((total += i.weight));
  return (rand) => {
    const v = items[pickCumulative(rand, cumulative)]?.value ?? NONE;
    return v === NONE ? null : v;
  };
}

/**
 * A seeded generator of request shapes for a mix. Each request draws the same
 * number of random numbers, so changing one list's weights never changes the
 * users or streaming flags drawn for the others.
 *
 * @example
 * const next = shapes(mix, 42);
 * next(); // { country: "US", cohort: null, requestClass: "chat", user: "user-17", stream: false }
 */
export function shapes(mix: TrafficMix, seed: number): () => RequestShape {
  const rand = mulberry32(seed);
  const country = picker(mix.countries);
  const cohort = picker(mix.cohorts);
  const cls = picker(mix.classes);
  return () => {
    const c = country(rand);
    const h = cohort(rand);
    const k = cls(rand);
    const u = rand();
    const s = rand();
    return {
      country: c,
      cohort: h,
      requestClass: k,
      user: mix.users > 0 ? `user-${Math.floor(u * mix.users)}` : null,
      stream: s < mix.streamShare,
    };
  };
}

/** The edge's control headers for one request shape. */
export function shapeHeaders(shape: RequestShape): Record<string, string> {
  const h: Record<string, string> = {};
  if (shape.country !== null) h["x-canary-geo"] = `country=${shape.country}`;
  if (shape.cohort !== null) h["x-canary-cohort"] = shape.cohort;
  if (shape.requestClass !== null) h["x-request-class"] = shape.requestClass;
  if (shape.user !== null) h["x-canary-user"] = shape.user;
  return h;
}
