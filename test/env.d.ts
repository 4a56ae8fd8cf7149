import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      /** Base URLs of the simulated origins started by globalSetup. */
      ORIGIN_STABLE: string;
      ORIGIN_CANARY: string;
      STABLE_API_KEY: string;
      CANARY_API_KEY: string;
    }
  }
}
