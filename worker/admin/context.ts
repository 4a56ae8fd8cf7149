/**
 * The admin API's Hono environment: the Worker's bindings plus the optional
 * admin secrets and vars, and per-request variables set by the admin
 * middleware (the authenticated actor and the request's drizzle client).
 */
import type { Db } from "../../store/config-store";
import type { AppEnv } from "../types";

/**
 * Set with `wrangler secret put ADMIN_TOKEN` and, for Cloudflare Access,
 * the vars `ACCESS_TEAM_DOMAIN` and `ACCESS_AUD`. All optional: with none
 * of them the admin API is disabled (503), never open.
 */
export interface AdminSecrets {
  ADMIN_TOKEN?: string;
  ACCESS_TEAM_DOMAIN?: string;
  ACCESS_AUD?: string;
}

export interface AdminBindings {
  Bindings: Env & AdminSecrets;
}

export interface AdminEnv {
  Bindings: Env & AdminSecrets;
  Variables: AppEnv["Variables"] & { actor: string; db: Db };
}
