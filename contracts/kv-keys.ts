/**
 * Every KV key the system uses, named in one place. Prefixes:
 * - `config:` documents operators may edit directly with `wrangler kv key put`.
 */

/** The routing config document (JSON, see `contracts/config.ts`). */
export const ROUTING_CONFIG_KEY = "config:routing";
