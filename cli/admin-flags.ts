/**
 * Flags shared by the admin commands and their parsing: every bad value is a
 * usage error (exit 2) that names the flag.
 */
import { userInfo } from "node:os";
import { CliError } from "./output";

/** Flags of the admin commands, merged into the CLI's option table. */
export const ADMIN_OPTIONS = {
  url: { type: "string" },
  token: { type: "string" },
  actor: { type: "string" },
  reason: { type: "string" },
  segment: { type: "string" },
  "if-match": { type: "string" },
  id: { type: "string" },
  origin: { type: "string" },
  model: { type: "string" },
  "api-key-secret": { type: "string" },
  weight: { type: "string" },
  steps: { type: "string" },
  limit: { type: "string" },
  action: { type: "string" },
  interval: { type: "string" },
  once: { type: "boolean", default: false },
  count: { type: "string" },
  timeout: { type: "string" },
} as const;

export interface AdminFlags {
  json?: boolean;
  route?: string;
  url?: string;
  token?: string;
  actor?: string;
  reason?: string;
  segment?: string;
  "if-match"?: string;
  id?: string;
  origin?: string;
  model?: string;
  "api-key-secret"?: string;
  weight?: string;
  steps?: string;
  limit?: string;
  action?: string;
  interval?: string;
  once?: boolean;
  count?: string;
  timeout?: string;
}

/** Seconds from `15`, `15s`, `2.5s` or `500ms`; a usage error otherwise. */
export function seconds(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(value.trim());
  const n = m ? Number(m[1]) / (m[2] === "ms" ? 1000 : 1) : NaN;
  if (!(n > 0)) throw new CliError(`--${flag} must be a positive number of seconds, e.g. 5`, 2);
  return n;
}

/** A whole number ≥ 1; a usage error otherwise. */
export function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`--${flag} must be a whole number ≥ 1`, 2);
  return n;
}

const printable = (s: string) => s.replace(/[^\x20-\x7e]/g, "").trim();

/** The audit actor: `--actor` (printable ASCII), else the OS user, else `cli`. */
export function actorFrom(flag: string | undefined): string {
  if (flag !== undefined) {
    const clean = printable(flag);
    if (clean !== flag.trim() || clean === "" || clean.length > 64)
      throw new CliError("--actor must be 1-64 printable ASCII characters", 2);
    return clean;
  }
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? "";
  }
  return printable(user).slice(0, 64) || "cli";
}
