/**
 * Three test projects:
 * - unit: pure logic in Node (`test/unit/**\/*.unit.test.ts`), no runtime.
 * - workers: integration tests inside workerd with real local KV, D1 and Queues
 *   (`test/integration/**`), against simulated origins started by globalSetup.
 * - e2e: Node tests that drive the whole local stack from outside
 *   (`test/e2e/**`), e.g. with the official `openai` client.
 * `test/resilience/` (faults, bad input, attacks, load) runs in workers, except
 * soak.test.ts (raw sockets and the soak), which drives the whole stack from Node in e2e.
 */
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.unit.test.ts"],
          environment: "node",
        },
      },
      {
        plugins: [
          cloudflareTest(async ({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                TEST_MIGRATIONS: await readD1Migrations("./migrations"),
                ORIGIN_STABLE: inject<string>("originStable"),
                ORIGIN_CANARY: inject<string>("originCanary"),
                ALLOW_GEO_OVERRIDE: "true",
                STABLE_API_KEY: "sk-stable-origin-secret-0001",
                CANARY_API_KEY: "sk-canary-origin-secret-0002",
                ADMIN_TOKEN: "test-admin-token-0123456789abcdef",
                FEEDBACK_SIGNING_KEY: "test-feedback-signing-key-0123456789",
              },
            },
          })),
        ],
        test: {
          name: "workers",
          // Generous: the suite shares two cores with workerd and the origins.
          testTimeout: 30_000,
          include: ["test/integration/**/*.test.ts", "test/resilience/**/*.test.ts"],
          exclude: ["test/resilience/soak.test.ts"],
          globalSetup: [
            "./test/setup/origins.global.ts",
            "./test/resilience/setup/decoy.global.ts",
          ],
          setupFiles: ["./test/setup/apply-migrations.ts"],
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts", "test/resilience/soak.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
