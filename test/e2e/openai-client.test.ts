/**
 * End to end: the official `openai` npm client pointed at the local edge
 * (`npm start`'s stack: wrangler dev with local KV, D1 and Queues, simulated
 * origins), non-streaming and streaming, against both variants. Then the
 * outcome rows and rollups are read back from local D1, and the CLI exports
 * them twice: from D1 and from the local R2 archive, with the same lines and
 * the same backtest decisions.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QualityRecordSchema } from "../../contracts/export";
import { OutcomeEventSchema } from "../../contracts/outcome";
import { LOCAL_VARS, ROOT, startStack } from "../../scripts/stack.mjs";

const run = promisify(execFile);
type Stack = Awaited<ReturnType<typeof startStack>>;
let stack: Stack;
let stateDir: string;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

async function d1(sql: string): Promise<Array<Record<string, unknown>>> {
  const { stdout } = await run(
    join(ROOT, "node_modules/.bin/wrangler"),
    ["d1", "execute", "DB", "--local", "--persist-to", stateDir, "--json", "--command", sql],
    { cwd: ROOT },
  );
  const parsed = JSON.parse(stdout) as Array<{ results: Array<Record<string, unknown>> }>;
  return parsed[0]?.results ?? [];
}

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "llm-canary-e2e-"));
  stack = await startStack({ port: await freePort(), stateDir, cron: false });
});

afterAll(async () => {
  await stack?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

function client(user: string, geo = "country=US") {
  return new OpenAI({
    apiKey: "client-key-not-forwarded",
    baseURL: `${stack.url}/v1`,
    defaultHeaders: { "x-canary-user": user, "x-canary-geo": geo },
    maxRetries: 0,
  });
}

describe("the openai client through the local edge", () => {
  const seen = new Map<string, string>();

  it("gets non-streamed completions from both variants", async () => {
    for (const cohort of ["internal", "none"]) {
      const { data, response } = await client(`user-${cohort}`)
        .chat.completions.create(
          { model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello" }] },
          { headers: { "x-canary-cohort": cohort } },
        )
        .withResponse();
      const variant = response.headers.get("x-canary-variant")!;
      seen.set(variant, response.headers.get("x-request-id")!);
      expect(data.choices[0]?.message.content).toMatch(/\w+/);
      expect(data.model).toBe(variant === "canary" ? "sim-model-2026-11" : "sim-model-2026-10");
    }
    expect([...seen.keys()].sort()).toEqual(["canary", "stable"]);
  });

  it("streams completions from both variants", async () => {
    for (const cohort of ["internal", "none"]) {
      const { data: stream, response } = await client(`streamer-${cohort}`)
        .chat.completions.create(
          {
            model: "gpt-4o-mini",
            messages: [{ role: "user", content: "Stream please" }],
            stream: true,
          },
          { headers: { "x-canary-cohort": cohort } },
        )
        .withResponse();
      let text = "";
      let chunks = 0;
      for await (const chunk of stream) {
        chunks += 1;
        text += chunk.choices[0]?.delta?.content ?? "";
      }
      expect(chunks).toBeGreaterThan(2);
      expect(text.length).toBeGreaterThan(10);
      expect(response.headers.get("x-canary-variant")).toBe(
        cohort === "internal" ? "canary" : "stable",
      );
    }
  });

  it("lists the served model aliases", async () => {
    const models = await client("lister").models.list();
    expect(models.data.map((m) => m.id)).toContain("gpt-4o-mini");
  });

  it("surfaces edge errors as OpenAI API errors", async () => {
    const err = await client("x")
      .chat.completions.create({
        model: "no-such-model",
        messages: [{ role: "user", content: "hi" }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).toBe("model_not_found");
  });

  it("leaves outcome rows and rollups in D1", async () => {
    const ids = [...seen.values()];
    let rows: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 40 && rows.length < ids.length; i++) {
      rows = await d1(
        `select request_id, variant from outcomes where request_id in (${ids.map((id) => `'${id}'`).join(",")})`,
      );
      if (rows.length < ids.length) await new Promise((r) => setTimeout(r, 500));
    }
    expect(rows.map((r) => r.variant).sort()).toEqual(["canary", "stable"]);
    const rollups = await d1(
      "select variant, sum(n) as n from rollup_metrics where metric = 'requests' and dim = 'all' group by variant",
    );
    const total = rollups.reduce((s, r) => s + Number(r.n), 0);
    const outcomes = await d1("select count(*) as n from outcomes");
    expect(total).toBe(Number(outcomes[0]?.n));
  });

  it("exports the outcomes and their quality scores as JSONL with the CLI", async () => {
    await run("npm", ["run", "build:cli"], { cwd: ROOT });
    const { stdout } = await run(
      "node",
      [join(ROOT, "bin/llm-canary.mjs"), "export", "--local", "--persist-to", stateDir],
      {
        cwd: ROOT,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const lines = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { kind?: string });
    const events = lines
      .filter((l) => l.kind !== "quality")
      .map((l) => OutcomeEventSchema.parse(l));
    const quality = lines
      .filter((l) => l.kind === "quality")
      .map((l) => QualityRecordSchema.parse(l));
    const count = await d1("select count(*) as n from outcomes");
    expect(events).toHaveLength(Number(count[0]?.n));
    const scores = await d1(
      "select (select count(*) from evaluations) + (select count(*) from feedback) as n",
    );
    expect(quality).toHaveLength(Number(scores[0]?.n));
    expect(events.map((e) => e.requestId)).toEqual(expect.arrayContaining([...seen.values()]));
    expect(events.every((e) => e.metrics.requests === 1)).toBe(true);
  });

  it("exports the same lines from the R2 archive as from D1, and backtests them alike", async () => {
    const cli = (args: string[]) =>
      run("node", [join(ROOT, "bin/llm-canary.mjs"), ...args], {
        cwd: ROOT,
        maxBuffer: 64 * 1024 * 1024,
        env: {
          ...process.env,
          NO_COLOR: "1",
          LLM_CANARY_URL: stack.url,
          LLM_CANARY_TOKEN: LOCAL_VARS.ADMIN_TOKEN,
        },
      });
    await cli([
      "load",
      "--url",
      stack.url,
      "--count",
      "150",
      "--concurrency",
      "8",
      "--users",
      "60",
      "--stream",
      "0.2",
    ]);
    // Every event reached D1 (and so, archived first, R2) once the count stops moving.
    let last = -1;
    for (let i = 0; i < 60; i++) {
      const n = Number((await d1("select count(*) as n from outcomes"))[0]?.n);
      if (n === last && n >= 150) break;
      last = n;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const fromD1 = join(stateDir, "from-d1.jsonl");
    const fromR2 = join(stateDir, "from-r2.jsonl");
    const local = ["--local", "--persist-to", stateDir, "--route", "chat"];
    await cli(["export", ...local, "--out", fromD1]);
    await cli(["export", "--from", "r2", ...local, "--out", fromR2]);
    const lines = async (f: string) => (await readFile(f, "utf8")).trim().split("\n").sort();
    const d1Lines = await lines(fromD1);
    expect(d1Lines.length).toBeGreaterThanOrEqual(150);
    expect(await lines(fromR2)).toEqual(d1Lines);
    // wrangler dev keeps local R2 beside D1 in the state directory (`npm start`: .state/).
    expect(await readdir(join(stateDir, "v3", "r2"))).not.toHaveLength(0);
    const backtest = async (f: string) =>
      JSON.parse((await cli(["backtest", f, "--json"])).stdout) as unknown;
    expect(await backtest(fromR2)).toEqual(await backtest(fromD1));
  });
});
