/**
 * Three test projects:
 * - unit: pure logic in Node (`test/unit/**\/*.unit.test.ts`), no runtime.
 * - workers: integration tests inside workerd with real local KV, D1 and Queues
 *   (`test/integration/**`), against simulated origins started by globalSetup.
 * - e2e: Node tests that drive the whole local stack from outside
 *   (`test/e2e/**`), e.g. with the official `openai` client.
 * `test/resilience/` (faults, bad input, attacks, load) runs in workers, except
 * soak.test.ts (raw sockets and the soak), which drives the whole stack from Node in e2e.
 *
 * `unit-shifted` and `workers-shifted` run the files that involve rollout
 * times once more with the test clock 400 days ahead (`test/fixtures/clock.ts`):
 * a test that compares a fixed calendar date with the real clock fails there.
 */
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/**
 * Test files whose fixtures and code under test involve rollout times. The
 * shift reaches code the test calls directly (the cron, stores, pure code);
 * requests through `SELF` run on workerd's own clock, so a file that checks
 * wall-clock expiry through `SELF` (dashboard sessions) is not listed.
 */
const TIMED_UNIT = [
  "test/unit/admin-actions.unit.test.ts",
  "test/unit/weight-edits.unit.test.ts",
  "test/unit/analyzer-policy.unit.test.ts",
  "test/unit/analyzer-replay.unit.test.ts",
  "test/unit/cli-status-view.unit.test.ts",
];
const TIMED_WORKERS = [
  "test/integration/admin.test.ts",
  "test/integration/analyzer.test.ts",
  "test/integration/minute-dims.test.ts",
  "test/integration/mlflow.test.ts",
  "test/integration/quality-rollback.test.ts",
  "test/integration/step-compaction.test.ts",
  "test/resilience/pipeline-analyzer.test.ts",
  "test/resilience/pipeline-races.test.ts",
];
const SHIFT_DAYS = "400";

function unitProject(name: string, include: string[], shiftDays = "0") {
  return {
    test: {
      name,
      include,
      environment: "node",
      env: { TEST_CLOCK_SHIFT_DAYS: shiftDays },
      setupFiles: ["./test/setup/clock.ts"],
    },
  };
}

function workersProject(name: string, include: string[], exclude: string[] = [], shiftDays = "0") {
  return {
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
            TEST_CLOCK_SHIFT_DAYS: shiftDays,
          },
        },
      })),
    ],
    test: {
      name,
      // Generous: the suite shares two cores with workerd and the origins.
      testTimeout: 30_000,
      include,
      exclude,
      globalSetup: ["./test/setup/origins.global.ts", "./test/resilience/setup/decoy.global.ts"],
      setupFiles: ["./test/setup/apply-migrations.ts", "./test/setup/clock.ts"],
    },
  };
}

export default defineConfig({
  test: {
    projects: [
      unitProject("unit", ["test/unit/**/*.unit.test.ts"]),
      unitProject("unit-shifted", TIMED_UNIT, SHIFT_DAYS),
      workersProject(
        "workers",
        ["test/integration/**/*.test.ts", "test/resilience/**/*.test.ts"],
        ["test/resilience/soak.test.ts"],
      ),
      workersProject("workers-shifted", TIMED_WORKERS, [], SHIFT_DAYS),
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
