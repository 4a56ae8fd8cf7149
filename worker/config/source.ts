/**
 * Where the edge gets its routing config: KV, cached in the isolate for a few
 * seconds so KV is not read on every request. When the cache is due, one
 * request reads KV and the others keep the cached config meanwhile; each
 * request only ever awaits a read of its own.
 *
 * An invalid document never routes traffic. The edge keeps the last valid
 * config it saw; when it never saw one, it salvages a stable-only config from
 * the invalid document (each route's id, aliases and stable release), and
 * only when even that fails does it refuse to route. The current health of
 * the config is kept for `/admin` and logged once per change.
 */
import * as z from "zod";
import type { RoutingConfig } from "../../contracts/config";
import { parseRoutingConfig, ReleaseSchema, RoutingConfigSchema } from "../../contracts/config";
import { ROUTING_CONFIG_KEY } from "../../contracts/kv-keys";

export const CONFIG_CACHE_TTL_MS = 5_000;

export type ConfigHealth =
  | { status: "ok"; version: number }
  | { status: "missing" }
  | { status: "kv_error"; error: string }
  | { status: "invalid"; errors: string[]; serving: "last_valid" | "stable_only" | "none" };

interface CacheState {
  config: RoutingConfig | null;
  lastValid: RoutingConfig | null;
  fetchedAt: number;
  health: ConfigHealth;
  /** Set by `invalidateConfigCache`: the next requests must not use the cached config. */
  invalidated: boolean;
  /** When a request of this isolate started reading KV (-Infinity: none is). */
  refreshingSince: number;
}

/** The state of a fresh isolate: nothing read yet. */
const initialState = (): CacheState => ({
  config: null,
  lastValid: null,
  fetchedAt: -Infinity,
  health: { status: "missing" },
  invalidated: false,
  refreshingSince: -Infinity,
});

const state: CacheState = initialState();

/** Current config health (for `/admin` and metrics). */
export function configHealth(): ConfigHealth {
  return state.health;
}

/** Forget the cached config so the next request reads KV (after admin writes). */
export function invalidateConfigCache(): void {
  state.fetchedAt = -Infinity;
  state.invalidated = true;
}

/** Forget everything, including the last valid config (a fresh isolate). */
export function resetConfigSource(): void {
  Object.assign(state, initialState());
}

const SalvageSchema = z.object({
  routes: z
    .array(
      z.object({
        id: z.string(),
        models: z.array(z.string()).min(1),
        paths: z.array(z.string()).optional(),
        stable: ReleaseSchema,
      }),
    )
    .min(1),
});

/** A stable-only config from an invalid document, or null. */
export function salvageStableOnly(raw: string): RoutingConfig | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  const parsed = SalvageSchema.safeParse(value);
  if (!parsed.success) return null;
  const doc = {
    version: 1,
    routes: parsed.data.routes.map((r) => ({ ...r, weight: 0, state: "rolled_back" })),
  };
  const cfg = RoutingConfigSchema.safeParse(doc);
  return cfg.success ? { ...cfg.data, version: 0 } : null;
}

function setHealth(next: ConfigHealth): void {
  if (JSON.stringify(next) !== JSON.stringify(state.health)) {
    const log = next.status === "ok" ? console.log : console.error;
    log(JSON.stringify({ msg: "routing config health changed", key: ROUTING_CONFIG_KEY, ...next }));
  }
  state.health = next;
}

async function load(kv: KVNamespace): Promise<RoutingConfig | null> {
  let raw: string | null;
  try {
    raw = await kv.get(ROUTING_CONFIG_KEY);
  } catch (e) {
    setHealth({ status: "kv_error", error: String(e) });
    return state.lastValid;
  }
  if (raw === null) {
    setHealth({ status: "missing" });
    return state.lastValid;
  }
  const parsed = parseRoutingConfig(raw);
  if (parsed.ok) {
    state.lastValid = parsed.config;
    setHealth({ status: "ok", version: parsed.config.version });
    return parsed.config;
  }
  if (state.lastValid) {
    setHealth({ status: "invalid", errors: parsed.errors, serving: "last_valid" });
    return state.lastValid;
  }
  const salvaged = salvageStableOnly(raw);
  setHealth({
    status: "invalid",
    errors: parsed.errors,
    serving: salvaged ? "stable_only" : "none",
  });
  return salvaged;
}

/**
 * The config to route by, or null when none can be used.
 *
 * @example
 * const config = await getRoutingConfig(env.CONFIG, Date.now());
 */
export async function getRoutingConfig(
  kv: KVNamespace,
  now: number,
): Promise<RoutingConfig | null> {
  if (now - state.fetchedAt < CONFIG_CACHE_TTL_MS) return state.config;
  // While another request reads KV, serve the config this isolate has. Never
  // await that request's read: its continuation would run in the other
  // request's I/O context, where this request's own body can no longer be read
  // ("Cannot perform I/O on behalf of a different request", a 500 under load).
  const refreshing = now - state.refreshingSince < CONFIG_CACHE_TTL_MS;
  if (refreshing && state.config !== null && !state.invalidated) return state.config;
  state.refreshingSince = now;
  try {
    const config = await load(kv);
    state.config = config;
    state.fetchedAt = now;
    state.invalidated = false;
    return config;
  } finally {
    state.refreshingSince = -Infinity;
  }
}
