// @ts-check
/**
 * Child processes of the benchmark: spawn with optional CPU pinning
 * (`taskset`), wait for a line on stdout, stop by pid, and read a process's
 * CPU time from /proc (all its threads, user + system).
 */
import { spawn, execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { availableParallelism } from "node:os";

/** Clock ticks per second for /proc times (USER_HZ; 100 on Linux). */
const HZ = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

let tasksetOk = /** @type {boolean | null} */ (null);

/** Whether `taskset` exists and there are at least two CPUs to split. */
export function canPin() {
  if (tasksetOk === null) {
    try {
      execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" });
      tasksetOk = availableParallelism() >= 2;
    } catch {
      tasksetOk = false;
    }
  }
  return tasksetOk;
}

/**
 * Pins a running process (all threads) to a CPU list such as "1" or "0-1".
 * @param {number} pid
 * @param {string | null} cpus
 */
export function pin(pid, cpus) {
  if (cpus === null || !canPin()) return;
  try {
    execFileSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], { stdio: "ignore" });
  } catch {
    /* best effort: an unpinned process is still measured */
  }
}

/**
 * @typedef {object} Child
 * @property {import("node:child_process").ChildProcess} proc
 * @property {number} pid
 * @property {string[]} output last lines of stdout and stderr
 * @property {() => Promise<void>} stop
 */

/**
 * Spawns a command and resolves once a stdout/stderr line matches `ready`.
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ ready: RegExp, cpus?: string | null, timeoutMs?: number, env?: NodeJS.ProcessEnv, cwd?: string }} opts
 * @returns {Promise<Child & { match: RegExpMatchArray }>}
 */
export function spawnReady(cmd, args, opts) {
  const proc = spawn(cmd, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  /** @type {string[]} */
  const output = [];
  const stop = () => stopProcess(proc);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(
        new Error(`${cmd} not ready in ${opts.timeoutMs ?? 20_000} ms:\n${output.join("\n")}`),
      );
    }, opts.timeoutMs ?? 20_000);
    let done = false;
    const onData = (/** @type {Buffer} */ b) => {
      for (const raw of b.toString().split("\n")) {
        // eslint-disable-next-line no-control-regex -- strips terminal colour codes
        const line = raw.replace(/\u001b\[[0-9;]*m/g, "").trim();
        if (!line) continue;
        output.push(line);
        if (output.length > 200) output.shift();
        const m = done ? null : line.match(opts.ready);
        if (m && proc.pid !== undefined) {
          done = true;
          clearTimeout(timer);
          pin(proc.pid, opts.cpus ?? null);
          resolve({ proc, pid: proc.pid, output, stop, match: m });
        }
      }
    };
    proc.stdout?.on("data", onData);
    proc.stderr?.on("data", onData);
    proc.once("exit", (code) => {
      if (done) return;
      clearTimeout(timer);
      reject(new Error(`${cmd} exited with ${code} before it was ready:\n${output.join("\n")}`));
    });
  });
}

/**
 * SIGTERM to the process group, SIGKILL after 5 s.
 * @param {import("node:child_process").ChildProcess} proc
 */
export async function stopProcess(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
  const exited = new Promise((r) => proc.once("exit", r));
  const signal = (/** @type {NodeJS.Signals} */ s) => {
    try {
      process.kill(-(/** @type {number} */ (proc.pid)), s);
    } catch {
      proc.kill(s);
    }
  };
  signal("SIGTERM");
  const timeout = new Promise((r) => setTimeout(r, 5_000, "timeout"));
  if ((await Promise.race([exited, timeout])) === "timeout") signal("SIGKILL");
}

/**
 * CPU seconds (user + system, all threads) a process has used so far.
 * @param {number} pid
 */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may contain spaces) start at ") ".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / HZ;
}

/**
 * Pids of the direct children of a process with the given command name.
 * @param {number} parent
 * @param {string} comm
 */
export function childrenNamed(parent, comm) {
  /** @type {number[]} */
  const out = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === parent && name === comm) out.push(Number(entry));
    } catch {
      /* the process ended while we looked */
    }
  }
  return out;
}
