/**
 * Every KV key the system uses, named in one place. Prefixes:
 * - `config:` documents operators may edit directly with `wrangler kv key put`;
 * - `analyzer:` state the analyzer keeps for itself.
 */

/** The routing config document (JSON, see `contracts/config.ts`). */
export const ROUTING_CONFIG_KEY = "config:routing";

/**
 * Analyzer health per route (JSON `{ routes: { [id]: { consecutiveErrors, lastError, lastErrorAt } } }`).
 * Kept in KV, not D1, because it must be writable when D1 is the thing failing.
 */
export const ANALYZER_HEALTH_KEY = "analyzer:health";

/**
 * The MLflow run id of one canary release (plain text), when the optional
 * MLflow export is on: `analyzer:mlflow-run:<route id>:<canary release id>`.
 */
export function mlflowRunKey(routeId: string, releaseId: string): string {
  return `analyzer:mlflow-run:${routeId}:${releaseId}`;
}
