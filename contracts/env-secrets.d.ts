/**
 * The Worker's secrets, declared once. `wrangler types` generates `Env` from
 * wrangler.toml, which names no secrets; this augments it with the secrets
 * the code reads by a fixed name. All are optional: each feature that needs
 * one is off (or its route answers 503) without it. Secrets a config names at
 * run time (a release's or an evaluator's `apiKeySecret`) are read with
 * `secretNamed` (contracts/secrets.ts).
 *
 * Set each with `npx wrangler secret put NAME` (README › Deploy).
 */
export {};

declare global {
  namespace Cloudflare {
    interface Env {
      /** Bearer token for /admin and /metrics (at least 16 characters). */
      ADMIN_TOKEN?: string;
      /** HMAC key that signs feedback tokens; feedback is off without it. */
      FEEDBACK_SIGNING_KEY?: string;
      /** Webhook that receives the analyzer's notifications. */
      NOTIFY_WEBHOOK_URL?: string;
      /** MLflow export (analyzer/run/mlflow.ts); var or secret. */
      MLFLOW_TRACKING_URI?: string;
      MLFLOW_EXPERIMENT_ID?: string;
      MLFLOW_TOKEN?: string;
    }
  }
}
