/** Hono environment of the Worker: bindings from `wrangler types`, per-request variables. */
export interface AppEnv {
  Bindings: Env;
  Variables: { requestId: string };
}
