/**
 * The README's architecture tree is the map of the repository, so it must
 * match `git ls-files` (untracked, unignored files count): every path it names is tracked, and every top-level
 * folder, every folder of worker/, analyzer/, cli/ and contracts/, and every
 * file directly in worker/ and analyzer/ is named in it.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

/** Paths named by the tree in the README's "## Architecture" code block. */
export function treePaths(readme: string): string[] {
  const section = readme.slice(readme.indexOf("## Architecture"));
  const open = section.indexOf("```\n") + 4;
  const block = section.slice(open, section.indexOf("\n```", open));
  const parents: Array<{ indent: number; path: string }> = [];
  const paths: string[] = [];
  for (const line of block.split("\n")) {
    const indent = line.length - line.trimStart().length;
    const token = line.trim().split(/\s+/)[0] ?? "";
    // Descriptions wrap onto lines indented to their column; names sit at 0, 2, 4.
    if (indent > 6 || !/^[\w.-]+(\/[\w.-]+)*(\/|\.[\w.]+)$/.test(token)) continue;
    while (parents.length > 0 && parents[parents.length - 1]!.indent >= indent) parents.pop();
    const path = (parents[parents.length - 1]?.path ?? "") + token;
    paths.push(path);
    if (token.endsWith("/")) parents.push({ indent, path });
  }
  return paths;
}

const tracked = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
  cwd: ROOT,
  encoding: "utf8",
})
  .split("\n")
  .filter((f) => f !== "");
const named = treePaths(readFileSync(resolve(ROOT, "README.md"), "utf8"));

describe("README architecture tree", () => {
  it("parses names and nests them under their folders", () => {
    const tree =
      "## Architecture\n\n```\na/      one\n  b.ts  two\n        wrapped text.\n  c/    three\nd/      four\n```\n";
    expect(treePaths(tree)).toEqual(["a/", "a/b.ts", "a/c/", "d/"]);
  });

  it("names only tracked paths", () => {
    const missing = named.filter((p) =>
      p.endsWith("/") ? !tracked.some((f) => f.startsWith(p)) : !tracked.includes(p),
    );
    expect(missing).toEqual([]);
  });

  it("names every top-level folder and every part of worker/, analyzer/, cli/, contracts/", () => {
    const wanted = new Set<string>();
    for (const f of tracked) {
      const parts = f.split("/");
      if (parts.length > 1) wanted.add(`${parts[0]}/`);
      if (!["worker", "analyzer", "cli", "contracts"].includes(parts[0]!)) continue;
      if (parts.length > 2) wanted.add(`${parts[0]}/${parts[1]}/`);
      else if (parts[0] === "worker" || parts[0] === "analyzer") wanted.add(f);
    }
    const covered = (p: string) => named.some((n) => n === p || n.startsWith(p));
    expect([...wanted].filter((p) => !covered(p)).sort()).toEqual([]);
  });
});
