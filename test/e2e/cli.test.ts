/**
 * The `llm-canary` CLI against the local stack (wrangler dev with local KV,
 * D1 and Queues): every admin command, `--json` output parsed, and the exit
 * codes scripts rely on (1 when the API refuses, 2 for bad usage such as a
 * missing --reason, 3 when the edge is unreachable or the token is wrong).
 * The CLI is bundled into a temporary file with the same esbuild flags as
 * `npm run build:cli`, so parallel tests never race on dist/.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_VARS, ROOT, startStack } from "../../scripts/stack.mjs";

const run = promisify(execFile);
type Stack = Awaited<ReturnType<typeof startStack>>;
let stack: Stack;
let stateDir: string;
let cli: string;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function llmCanary(args: string[], env: Record<string, string> = {}): Promise<Result> {
  try {
    const { stdout, stderr } = await run("node", [cli, ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        LLM_CANARY_URL: stack.url,
        LLM_CANARY_TOKEN: LOCAL_VARS.ADMIN_TOKEN,
        NO_COLOR: "1",
        ...env,
      },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}

async function json<T = Record<string, unknown>>(args: string[]): Promise<T> {
  const r = await llmCanary([...args, "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}

interface RouteJson {
  id: string;
  weight: number;
  state: string;
  canary?: { id: string; model: string };
  stable: { id: string };
  segments: Array<{ name: string; weight: number }>;
  rollout?: { steps: number[]; stepIndex: number };
}
interface ActionJson {
  changed: boolean;
  version: number;
  route: RouteJson;
}
interface StatusJson {
  version: number;
  routes: Array<{ route: RouteJson; decision: { action: string; routeId: string } | null }>;
}

const chat = async () => (await json<StatusJson>(["status", "--route", "chat"])).routes[0]!;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "llm-canary-cli-"));
  cli = join(stateDir, "cli.mjs");
  await run(
    join(ROOT, "node_modules/.bin/esbuild"),
    [
      "cli/index.ts",
      "--bundle",
      "--platform=node",
      "--format=esm",
      "--target=node20",
      `--outfile=${cli}`,
      "--log-level=warning",
    ],
    { cwd: ROOT },
  );
  stack = await startStack({ port: await freePort(), stateDir, cron: false });
});

afterAll(async () => {
  await stack?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

describe("llm-canary against the local edge", () => {
  it("shows the status of every route, as text and as JSON", async () => {
    const s = await json<StatusJson>(["status"]);
    expect(s.version).toBeGreaterThanOrEqual(1);
    expect(s.routes.map((r) => r.route.id)).toEqual(["chat", "embeddings"]);
    expect(s.routes[0]!.route).toMatchObject({ state: "active", weight: 5 });

    const text = await llmCanary(["status"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^chat {2}active {2}step 1\/5 \(5%\) {2}weight 5%$/m);
    expect(text.stdout).toMatch(/internal-dogfood +100% +cohorts=internal/);
    expect(text.stdout).not.toContain("\u001b[");
  });

  it("sets the route's and a segment's weight, recording the actor", async () => {
    const r = await json<ActionJson>([
      "set-weight",
      "chat",
      "7",
      "--reason",
      "more canary",
      "--actor",
      "cli-e2e",
    ]);
    expect(r).toMatchObject({ changed: true, route: { id: "chat", weight: 7 } });
    const seg = await json<ActionJson>([
      "set-weight",
      "chat",
      "20",
      "--segment",
      "germany-early",
      "--reason",
      "more DE",
      "--actor",
      "cli-e2e",
    ]);
    expect(seg.route.segments.find((s) => s.name === "germany-early")!.weight).toBe(20);
    expect(seg.version).toBe(r.version + 1);
    expect((await chat()).route.weight).toBe(7);

    const text = await llmCanary(["set-weight", "chat", "8", "--reason", "a bit more"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^chat: weight set to 8% · config version \d+$/m);
  });

  it("refuses a change without --reason before calling the edge (exit 2)", async () => {
    const before = (await json<StatusJson>(["status"])).version;
    for (const args of [
      ["set-weight", "chat", "9"],
      ["pause", "chat"],
      ["rollback", "chat", "--reason", "  "],
    ]) {
      const r = await llmCanary(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toContain("--reason");
    }
    expect((await json<StatusJson>(["status"])).version).toBe(before);
  });

  it("exits 1 with the API's message when it refuses a change", async () => {
    const invalid = await llmCanary(["set-weight", "chat", "150", "--reason", "too much"]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain("(422 validation_failed): weight: must be at most 100");

    const asJson = await llmCanary(["set-weight", "chat", "150", "--reason", "x", "--json"]);
    expect(asJson.code).toBe(1);
    expect(JSON.parse(asJson.stdout)).toMatchObject({ error: { code: "validation_failed" } });

    const noSegment = await llmCanary([
      "set-weight",
      "chat",
      "1",
      "--segment",
      "nope",
      "--reason",
      "x",
    ]);
    expect(noSegment.code).toBe(1);
    expect(noSegment.stderr).toContain('Segment "nope" does not exist');

    const stale = await llmCanary(["pause", "chat", "--reason", "x", "--if-match", "1"]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/409 version_conflict.*current version is \d+/);
    expect((await chat()).route.state).toBe("active");
  });

  it("exits 3 when the token is wrong or missing, or the edge cannot be reached", async () => {
    const wrong = await llmCanary(["status", "--token", "wrong-token-0123456789abcdef"]);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain("401 invalid_credentials");
    expect(wrong.stderr).not.toContain("wrong-token-0123456789abcdef");

    const missing = await llmCanary(["status"], { LLM_CANARY_TOKEN: "" });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain("No token was given");

    const down = await llmCanary(["status", "--url", `http://127.0.0.1:${await freePort()}`]);
    expect(down.code).toBe(3);
    expect(down.stderr).toContain("cannot reach the edge");

    const downJson = await llmCanary(["pause", "chat", "--reason", "x", "--json"], {
      LLM_CANARY_URL: `http://127.0.0.1:${await freePort()}`,
    });
    expect(downJson.code).toBe(3);
    expect(JSON.parse(downJson.stdout)).toMatchObject({ error: { code: "unreachable" } });
  });

  it("exits 2 on bad usage", async () => {
    for (const args of [
      ["no-such-command"],
      ["pause"],
      ["set-weight", "chat", "lots", "--reason", "x"],
      ["release", "start", "chat", "--reason", "x"],
      ["history", "--limit", "0"],
      ["status", "--url", "not a url"],
      ["status", "--no-such-flag"],
    ]) {
      const r = await llmCanary(args);
      expect(r.code, args.join(" ")).toBe(2);
    }
  });

  it("pauses and resumes; repeating an action changes nothing", async () => {
    const paused = await json<ActionJson>(["pause", "chat", "--reason", "incident 4711"]);
    expect(paused).toMatchObject({ changed: true, route: { state: "paused" } });
    const again = await json<ActionJson>(["pause", "chat", "--reason", "incident 4711"]);
    expect(again).toMatchObject({ changed: false, version: paused.version });
    const resumed = await llmCanary(["resume", "chat", "--reason", "incident closed"]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/^chat: resumed/m);
    expect((await chat()).route.state).toBe("active");
  });

  it("starts a new canary release with its own steps", async () => {
    const r = await json<ActionJson>([
      "release",
      "start",
      "chat",
      "--id",
      "sim-canary-cli-1",
      "--origin",
      stack.canary.url,
      "--model",
      "sim-model-cli-1",
      "--api-key-secret",
      "CANARY_API_KEY",
      "--steps",
      "1,5,25,100",
      "--reason",
      "CLI release",
    ]);
    expect(r.changed).toBe(true);
    expect(r.route).toMatchObject({
      weight: 1,
      state: "active",
      canary: { id: "sim-canary-cli-1", model: "sim-model-cli-1" },
      rollout: { steps: [1, 5, 25, 100], stepIndex: 0 },
    });
  });

  it("lists the analyzer's decisions and shows the newest in the status", async () => {
    await stack.runCron();
    const d = await json<{ decisions: Array<{ routeId: string; action: string }> }>([
      "decisions",
      "--route",
      "chat",
      "--limit",
      "5",
    ]);
    expect(d.decisions.length).toBeGreaterThan(0);
    expect(d.decisions.every((x) => x.routeId === "chat")).toBe(true);
    const s = await chat();
    expect(s.decision?.action).toBe(d.decisions[0]!.action);

    const text = await llmCanary(["decisions", "--limit", "5"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`chat +${d.decisions[0]!.action}`));
    const status = await llmCanary(["status", "--route", "chat"]);
    expect(status.stdout).toMatch(new RegExp(`decision {2}${d.decisions[0]!.action} `));

    const none = await json<{ decisions: unknown[] }>(["decisions", "--action", "promote"]);
    expect(none.decisions).toEqual([]);
  });

  it("shows the history with actors, reasons and changes", async () => {
    const h = await json<{
      versions: Array<{ actor: string; reason: string; source: string; changes: string[] }>;
    }>(["history", "--limit", "50"]);
    const weight = h.versions.find((v) => v.reason === "more canary")!;
    expect(weight).toMatchObject({ actor: "cli-e2e", source: "admin" });
    expect(weight.changes).toContain("routes.0.weight: 5 → 7");
    expect(h.versions.at(-1)!.source).toBe("seed");

    const text = await llmCanary(["history", "--limit", "3"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /^v\d+ {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ {2}admin {2}\S+ {2}CLI release$/m,
    );
    expect(text.stdout).toMatch(
      /^ {6}routes\.0\.canary\.id: "sim-canary-2026-11" → "sim-canary-cli-1"$/m,
    );
  });

  it("watches: a given number of refreshed frames, then exits", async () => {
    const r = await llmCanary(["watch", "--count", "2", "--interval", "0.2", "--json"]);
    expect(r.code).toBe(0);
    const frames = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as StatusJson & { at: string });
    expect(frames).toHaveLength(2);
    for (const f of frames) expect(f.routes.map((x) => x.route.id)).toContain("chat");

    const once = await llmCanary(["watch", "--once", "--route", "chat"]);
    expect(once.code).toBe(0);
    expect(once.stdout).toMatch(/^llm-canary watch · http:\/\/127\.0\.0\.1:\d+ · every 5 s/m);
    expect(once.stdout).toMatch(/^chat {2}active/m);

    const bad = await llmCanary(["watch", "--once", "--token", "wrong-token-0123456789abcdef"]);
    expect(bad.code).toBe(3);
  });

  it("rolls back; promoting a rolled-back canary is refused (exit 1)", async () => {
    const rb = await json<ActionJson>(["rollback", "chat", "--reason", "bad answers in FR"]);
    expect(rb.route).toMatchObject({ state: "rolled_back", weight: 0 });
    const promote = await llmCanary(["promote", "chat", "--reason", "oops"]);
    expect(promote.code).toBe(1);
    expect(promote.stderr).toContain("409 invalid_state");
  });

  it("promotes a new release: the canary becomes stable", async () => {
    await json<ActionJson>([
      "release",
      "start",
      "chat",
      "--id",
      "sim-canary-cli-2",
      "--origin",
      stack.canary.url,
      "--model",
      "sim-model-cli-2",
      "--reason",
      "second try",
    ]);
    const p = await json<ActionJson>(["promote", "chat", "--reason", "all checks green"]);
    expect(p.route).toMatchObject({ state: "promoted", stable: { id: "sim-canary-cli-2" } });
    expect(p.route.canary).toBeUndefined();
    const text = await llmCanary(["status", "--route", "chat"]);
    expect(text.stdout).toMatch(/^chat {2}promoted {2}no rollout/m);
    expect(text.stdout).toContain("canary  (none)");
  });
});
