/**
 * A `--json` answer read through a pipe arrives whole. On Linux, Node writes
 * to a pipe asynchronously; a CLI that called `process.exit` right after its
 * last `console.log` cut a piped answer at the pipe's buffer (64 KiB). The
 * answer here is a backtest of more than 1 MiB, read once through a pipe and
 * once from a file the shell wrote, and compared byte for byte.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/stack.mjs";
import { MIN, T0 } from "../fixtures/clock";
import { makeOutcome } from "../fixtures/outcome";

const run = promisify(execFile);
let dir: string;
let cli: string;
let events: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "llm-canary-pipe-"));
  cli = join(dir, "cli.mjs");
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
  // Three days of a 10% canary, a few requests a minute: one timeline entry per minute.
  const lines: string[] = [];
  for (let m = 0; m < 3 * 24 * 60; m++) {
    for (let i = 0; i < 4; i++) {
      const canary = i === 0;
      lines.push(
        JSON.stringify(
          makeOutcome({
            requestId: `pipe-${m}-${i}`,
            ts: T0 + m * MIN + i * 1000,
            variant: canary ? "canary" : "stable",
            releaseId: canary ? "canary-v2" : "stable-v1",
            weight: 10,
            latencyMs: 100 + ((m * 7 + i * 13) % 50),
          }),
        ),
      );
    }
  }
  events = join(dir, "events.jsonl");
  await writeFile(events, `${lines.join("\n")}\n`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("llm-canary --json through a pipe", () => {
  it("writes a backtest of more than 1 MiB whole, byte for byte as to a file", async () => {
    const env = { ...process.env, NO_COLOR: "1" };
    const piped = await run("node", [cli, "backtest", events, "--json"], {
      env,
      encoding: "buffer",
      maxBuffer: 256 * 1024 * 1024,
    });
    const file = join(dir, "out.json");
    await run("sh", ["-c", `node "${cli}" backtest "${events}" --json > "${file}"`], { env });
    const written = await readFile(file);
    expect(written.length).toBeGreaterThan(1024 * 1024);
    expect(piped.stdout.length).toBe(written.length);
    expect(Buffer.compare(piped.stdout, written)).toBe(0);
    expect(() => JSON.parse(piped.stdout.toString("utf8"))).not.toThrow();
  });
});
