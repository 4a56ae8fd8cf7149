/**
 * The worker/analyzer boundary is enforced by ESLint (`eslint.config.js`):
 * these cases lint real source text as if it lived in worker/ or cli/.
 */
import { join, resolve } from "node:path";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
// Under CI typescript-eslint would infer a single run and type-check the file on
// disk instead of the text given here; these cases need the text.
const eslint = new ESLint({
  cwd: ROOT,
  overrideConfig: {
    languageOptions: { parserOptions: { disallowAutomaticSingleRunInference: true } },
  },
});

/** The no-restricted-imports messages for `code` linted as the file at `path`. */
async function boundaryErrors(path: string, code: string): Promise<string[]> {
  // An existing file, so the typed-lint project covers it; only the text is replaced.
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === "no-restricted-imports")
    .map((m) => m.message);
}

describe("the analyzer boundary", () => {
  it("fails a deep import from worker/ into the analyzer", async () => {
    const errors = await boundaryErrors(
      "worker/metrics/summary.ts",
      'import { readStep } from "../../analyzer/store/step-reader";\nexport const f = readStep;\n',
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("Import the analyzer through analyzer/index.ts");
  });

  it("fails a deep import from cli/ too", async () => {
    const errors = await boundaryErrors(
      "cli/load/mix.ts",
      'import { mulberry32 } from "../../analyzer/sim/prng";\nexport const f = mulberry32;\n',
    );
    expect(errors).toHaveLength(1);
  });

  it("allows the front door and the shared folders", async () => {
    const errors = await boundaryErrors(
      "worker/metrics/summary.ts",
      [
        'import { readStep } from "../../analyzer/worker";',
        'import { decide } from "../../analyzer/index";',
        'import { writeConfig } from "../../store/config-store";',
        'import { rollback } from "../../contracts/transitions";',
        "export const f = [readStep, decide, writeConfig, rollback];",
        "",
      ].join("\n"),
    );
    expect(errors).toEqual([]);
  });
});
