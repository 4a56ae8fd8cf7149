/**
 * The migrations are generated from contracts/db/schema.ts by drizzle-kit and
 * must stay in step with it: a schema edit without `npm run db:generate`
 * would deploy a D1 that lacks the change. drizzle-kit runs here on a copy of
 * migrations/ and must find nothing to generate.
 */
import { execFile } from "node:child_process";
import { cp, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "llm-canary-migrations-"));
  await cp(join(ROOT, "migrations"), join(dir, "migrations"), { recursive: true });
  await writeFile(
    join(dir, "drizzle.config.json"),
    JSON.stringify({
      dialect: "sqlite",
      schema: "./contracts/db/schema.ts",
      // drizzle-kit reads `out` relative to the working directory.
      out: relative(ROOT, join(dir, "migrations")),
    }),
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("migrations", () => {
  it("match the schema: drizzle-kit generate finds no change", async () => {
    const before = await readdir(join(dir, "migrations"));
    const { stdout } = await run(
      join(ROOT, "node_modules/.bin/drizzle-kit"),
      ["generate", `--config=${join(dir, "drizzle.config.json")}`],
      { cwd: ROOT },
    );
    expect(stdout).toContain("No schema changes");
    expect(await readdir(join(dir, "migrations"))).toEqual(before);
  }, 60_000);
});
