/** Export lines: quality records from D1 rows, their SQL, and reading a mixed export back. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { qualityPageSql, rowToQuality } from "../../cli/export-rows";
import { readOutcomes } from "../../cli/jsonl";
import { makeOutcome } from "../fixtures/outcome";

const ROW = {
  row_id: 7,
  request_id: "r-1",
  evaluator: null,
  minute: 29_000_000,
  step: 0,
  route_id: "chat",
  rollout_id: "",
  release_id: "stable-v1",
  variant: "stable",
  segment: null,
  country: "DE",
  cohort: null,
  request_class: null,
  metric: "feedback_positive",
  value: 1,
};

describe("quality export rows", () => {
  it("converts a feedback row, an empty rollout id reading as none", () => {
    expect(rowToQuality(ROW, "feedback")).toEqual({
      v: 1,
      kind: "quality",
      source: "feedback",
      requestId: "r-1",
      evaluator: null,
      minute: 29_000_000,
      step: 0,
      routeId: "chat",
      rolloutId: null,
      releaseId: "stable-v1",
      variant: "stable",
      segment: null,
      country: "DE",
      cohort: null,
      requestClass: null,
      metric: "feedback_positive",
      value: 1,
    });
  });

  it("selects whole minutes of one route, after a row id, with the rollups' value rule", () => {
    const sql = qualityPageSql({ routeId: "o'k", since: 120_500, until: 300_000 }, "feedback", 42);
    expect(sql).toContain("FROM feedback WHERE rowid > 42 AND route_id = 'o''k'");
    expect(sql).toContain("minute >= 2 AND minute * 60000 < 300000");
    expect(sql).toContain("CASE WHEN score > 0 THEN 1 ELSE 0 END AS value");
    expect(qualityPageSql({}, "evaluation", 0)).toContain(
      "evaluator AS evaluator, minute, step, route_id",
    );
  });
});

describe("reading an export", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "llm-canary-export-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("reads outcome events and quality records", async () => {
    const file = join(dir, "mixed.jsonl");
    const quality = rowToQuality({ ...ROW, rollout_id: "canary-v2" }, "feedback");
    await writeFile(file, [makeOutcome(), quality].map((l) => JSON.stringify(l)).join("\n"));
    const read = await readOutcomes(file);
    expect(read.events).toHaveLength(1);
    expect(read.quality).toEqual([quality]);
  });

  it("names the line and field of a bad quality record", async () => {
    const file = join(dir, "bad.jsonl");
    const bad = { ...rowToQuality(ROW, "feedback"), value: "high" };
    await writeFile(file, `${JSON.stringify(makeOutcome())}\n${JSON.stringify(bad)}\n`);
    await expect(readOutcomes(file)).rejects.toThrow(/line 2: value/);
  });
});
