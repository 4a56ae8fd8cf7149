/**
 * The admin API's Hono environment: the Worker's bindings plus the optional
 * admin secrets and vars, and per-request variables set by the admin
 * middleware (the authenticated actor and the request's drizzle client).
 */
import type { Db } from "../../store/config-store";
import type { AppEnv } from "../types";

/**
 * What admin authentication reads: the secret `ADMIN_TOKEN`
 * (contracts/secrets.ts) and, for Cloudflare Access, the vars
 * `ACCESS_TEAM_DOMAIN` and `ACCESS_AUD`. With none of them the admin API is
 * disabled (503), never open.
 */
export type AdminAuthBindings = Partial<
  Pick<Env, "ADMIN_TOKEN" | "ACCESS_TEAM_DOMAIN" | "ACCESS_AUD">
>;

export interface AdminEnv {
  Bindings: Env;
  Variables: AppEnv["Variables"] & { actor: string; db: Db };
}
