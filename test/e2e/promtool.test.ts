/**
 * `/metrics` against Prometheus's own linter: the local stack serves a few
 * requests through both variants, the analyzer runs once, and the scraped
 * text must pass `promtool check metrics` (parse errors and lint problems
 * both fail). Where promtool is not installed (`apt-get install
 * prometheus`), skipped with a message; under CI, failed (`.ci/run` installs
 * it, so a skip would hide a broken install step).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireTool } from "../fixtures/tools";
import { LOCAL_VARS, startStack } from "../../scripts/stack.mjs";

type Stack = Awaited<ReturnType<typeof startStack>>;

/** The promtool binary (override with PROMTOOL=/path/to/promtool). */
const PROMTOOL = process.env.PROMTOOL ?? "promtool";
const promtool = spawnSync(PROMTOOL, ["--version"], { stdio: "ignore" }).status === 0;
const SKIP_NOTE =
  "promtool is not installed (apt-get install prometheus): /metrics was not checked";
let stack: Stack | undefined;
let stateDir: string | undefined;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

function checkMetrics(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PROMTOOL, ["check", "metrics"], { stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (b: Buffer) => (output += b.toString()));
    child.stderr.on("data", (b: Buffer) => (output += b.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

async function scrape(token: string | null): Promise<Response> {
  return fetch(`${stack!.url}/metrics`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

beforeAll(async () => {
  if (!promtool) {
    console.warn(SKIP_NOTE);
    return;
  }
  stateDir = await mkdtemp(join(tmpdir(), "llm-canary-promtool-"));
  stack = await startStack({ port: await freePort(), stateDir, cron: false });
});

afterAll(async () => {
  await stack?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe("GET /metrics", () => {
  it("passes promtool check metrics after real traffic", async (ctx) => {
    requireTool(ctx, promtool, SKIP_NOTE);
    for (const [user, cohort] of [
      ["prom-a", "internal"],
      ["prom-b", "none"],
      ["prom-c", "internal"],
      ["prom-d", "none"],
    ] as const) {
      const res = await fetch(`${stack!.url}/v1/chat/completions`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-canary-user": user,
          "x-canary-cohort": cohort,
          "x-canary-geo": "country=DE",
        },
        body: JSON.stringify({
          model: "gpt-4o-mini",
          messages: [{ role: "user", content: "Hello metrics" }],
        }),
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    await stack!.runCron();

    // Outcomes reach the rollups through the local queue; wait until both variants show.
    let text = "";
    for (let i = 0; i < 60; i++) {
      const res = await scrape(LOCAL_VARS.ADMIN_TOKEN);
      expect(res.status).toBe(200);
      text = await res.text();
      const seen = (variant: string) =>
        new RegExp(`^llm_canary_requests\\{[^}]*variant="${variant}"\\}`, "m").test(text);
      if (seen("canary") && seen("stable")) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(text).toMatch(
      /^llm_canary_requests\{route="chat",release="[^"]+",variant="canary"\} \d+/m,
    );
    expect(text).toMatch(/^llm_canary_latency_seconds\{[^}]*quantile="0\.99"\} /m);
    expect(text).toMatch(/^llm_canary_route_state\{route="chat",state="active"\} 1$/m);

    const { code, output } = await checkMetrics(text);
    expect(output).toBe("");
    expect(code).toBe(0);
  });

  it("refuses a scrape without the token", async (ctx) => {
    requireTool(ctx, promtool, SKIP_NOTE);
    const res = await scrape(null);
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain(LOCAL_VARS.ADMIN_TOKEN);
  });

  it("shows promtool catches what it should (the check can fail)", async (ctx) => {
    requireTool(ctx, promtool, SKIP_NOTE);
    const broken = '# TYPE llm_canary_x gauge\nllm_canary_x{route="a} 1\n';
    expect((await checkMetrics(broken)).code).not.toBe(0);
  });
});
