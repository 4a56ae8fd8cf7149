// @ts-check
/**
 * Command-line flags of `node sim/origin.mjs`: `--port`, `--name`, and one
 * kebab-case flag per behaviour field (`latencyMs` → `--latency-ms`).
 * Boolean flags may be bare (`--echo-headers`); `--flag=value` also works.
 */
import { FIELDS, parseBehaviour } from "./behaviour.mjs";

/** @typedef {import("./behaviour.mjs").Behaviour} Behaviour */
/** @typedef {Partial<Behaviour> & { port?: number, name?: string }} OriginOptions */

/** @param {string} camel */
function kebab(camel) {
  return camel.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** @type {ReadonlyMap<string, keyof Behaviour>} */
const FLAG_TO_FIELD = new Map(
  /** @type {(keyof Behaviour)[]} */ (Object.keys(FIELDS)).map((key) => [kebab(key), key]),
);

export const USAGE = [
  "usage: node sim/origin.mjs [--port 8701] [--name stable] [behaviour flags]",
  "behaviour flags (see sim/README.md):",
  ...[...FLAG_TO_FIELD].map(([flag, key]) => `  --${flag} <${FIELDS[key].kind}>`),
].join("\n");

/**
 * @example
 *   parseCli(["--port", "8701", "--name", "stable", "--error-rate", "0.1"]);
 *   // => { ok: true, help: false, options: { port: 8701, name: "stable", errorRate: 0.1 } }
 *
 * @param {readonly string[]} argv arguments after the script path
 * @returns {{ ok: true, help: boolean, options: OriginOptions } | { ok: false, error: string }}
 */
export function parseCli(argv) {
  /** @type {[string, unknown][]} */
  const entries = [];
  let port = 0;
  let name = "origin";
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--help" || arg === "-h") return { ok: true, help: true, options: {} };
    const match = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(arg);
    if (!match) return { ok: false, error: `unexpected argument "${arg}"` };
    const flag = match[1] ?? "";
    const field = FLAG_TO_FIELD.get(flag);
    let value = match[2];
    if (value === undefined && field !== undefined && FIELDS[field].kind === "boolean") {
      value = "true";
    }
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined) return { ok: false, error: `--${flag} needs a value` };
      i += 1;
    }
    if (flag === "port") port = Number(value);
    else if (flag === "name") name = value;
    else if (field !== undefined) entries.push([field, value]);
    else return { ok: false, error: `unknown flag --${flag}` };
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    return { ok: false, error: "--port must be an integer between 0 and 65535" };
  }
  const parsed = parseBehaviour(entries);
  if (!parsed.ok) return { ok: false, error: parsed.error };
  return { ok: true, help: false, options: { port, name, ...parsed.value } };
}
