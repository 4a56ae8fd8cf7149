import { describe, expect, it } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUDGET, budgetProblems, readBundle, zodLocales } from "../../scripts/bundle-check.mjs";

describe("bundle budget", () => {
  it("reads zod locales from a source map's sources and from esbuild path comments", () => {
    const sources = JSON.stringify([
      "../../node_modules/zod/v4/locales/en.js",
      "../../node_modules/zod/v4/locales/fr-CA.js",
      "../../node_modules/zod/v4/locales/index.js",
      "../../worker/index.ts",
    ]);
    expect(zodLocales(sources)).toEqual(["en", "fr-CA"]);
    expect(
      zodLocales(
        "// node_modules/zod/v4/locales/de.js\nvar x;\n// node_modules/zod/v4/locales/en.js",
      ),
    ).toEqual(["de", "en"]);
    expect(zodLocales("var nothing;")).toEqual([]);
  });

  it("passes a bundle within budget with only the en locale", () => {
    expect(
      budgetProblems({ bytes: BUDGET.bytes, gzipBytes: BUDGET.gzipBytes, locales: ["en"] }),
    ).toEqual([]);
  });

  it("names every broken rule: extra locales, bytes and gzip bytes over budget", () => {
    const problems = budgetProblems(
      { bytes: 1_261_836, gzipBytes: 242_614, locales: ["de", "en", "ja"] },
      { bytes: 720 * 1024, gzipBytes: 172 * 1024 },
    );
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain("zod locales other than en (de, ja)");
    expect(problems[0]).toContain('import * as z from "zod"');
    expect(problems[1]).toBe("the bundle is 1232.3 KiB, over its budget of 720.0 KiB");
    expect(problems[2]).toBe("the bundle is 236.9 KiB gzip, over its budget of 172.0 KiB");
  });

  it("reads the locales from the source map and refuses a bundle without one", async () => {
    const dir = await mkdtemp(join(tmpdir(), "llm-canary-bundle-"));
    try {
      await writeFile(join(dir, "index.js"), "minified();");
      await expect(readBundle(dir)).rejects.toThrow(/no source map next to index.js/);
      const sources = [
        "../node_modules/zod/v4/locales/en.js",
        "../node_modules/zod/v4/locales/de.js",
      ];
      await writeFile(join(dir, "index.js.map"), JSON.stringify({ sources }));
      expect(await readBundle(dir)).toMatchObject({ bytes: 11, locales: ["de", "en"] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
