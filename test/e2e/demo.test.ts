/**
 * `npm run demo -- --short` end to end: the three rollout scenarios on the
 * local stack must each end as expected (exit code 0), within two minutes,
 * and leave their report (Markdown, JSON, one SVG chart per scenario).
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { ROOT } from "../../scripts/stack.mjs";

let out: string;

afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

it("runs the short demo: promoted, rolled back, segment excluded", async () => {
  out = await mkdtemp(join(tmpdir(), "llm-canary-demo-report-"));
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve) => {
      execFile(
        process.execPath,
        [join(ROOT, "scripts", "demo.mjs"), "--short", "--out", out],
        { cwd: ROOT, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    },
  );
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);

  const summary = JSON.parse(await readFile(join(out, "summary.json"), "utf8")) as {
    scenarios: Array<{ id: string; verdict: string; actions: Array<{ action: string }> }>;
  };
  const byId = Object.fromEntries(summary.scenarios.map((s) => [s.id, s]));
  expect(byId.healthy?.actions.map((a) => a.action)).toEqual(["advance", "promote"]);
  expect(byId.slow?.actions.map((a) => a.action)).toEqual(["rollback"]);
  expect(byId.regional?.actions.map((a) => a.action)).toContain("exclude_segment");
  expect(summary.scenarios.every((s) => s.verdict === "expected")).toBe(true);
  for (const id of ["healthy", "slow", "regional"]) {
    expect(await readFile(join(out, `${id}.svg`), "utf8")).toMatch(/^<svg [^>]*xmlns=/);
  }
  expect(await readFile(join(out, "report.md"), "utf8")).toContain("| scenario |");
}, 300_000);
