// @ts-check
/**
 * What the report says about where it ran: machine, load, versions and the
 * commit. Absolute times are only comparable within one run on one machine.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";
import { join } from "node:path";

/** @param {string} root @param {string} pkg */
function version(root, pkg) {
  try {
    const text = readFileSync(join(root, "node_modules", pkg, "package.json"), "utf8");
    return /** @type {{ version: string }} */ (JSON.parse(text)).version;
  } catch {
    return null;
  }
}

/** @param {string[]} args @param {string} cwd */
function git(args, cwd) {
  try {
    return execFileSync("git", args, { cwd, stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

/** @param {string} root */
export function environment(root) {
  const c = cpus();
  return {
    machine: {
      cpu: c[0]?.model ?? "unknown",
      cores: c.length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      kernel: release(),
    },
    versions: {
      node: process.version,
      workerd: version(root, "workerd"),
      miniflare: version(root, "miniflare"),
      wrangler: version(root, "wrangler"),
      wrk: /wrk (\S+)/.exec(String(spawnSync("wrk", ["--version"]).stdout ?? ""))?.[1] ?? null,
    },
    commit: git(["rev-parse", "--short", "HEAD"], root),
    dirty: (git(["status", "--porcelain", "--untracked-files=no"], root) ?? "") !== "",
  };
}

/** Load average (1 min) now: the machine is shared, so the report records it. */
export function load1() {
  return loadavg()[0] ?? 0;
}
