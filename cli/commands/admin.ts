/**
 * The commands that talk to the admin API: flags and help, the connection
 * (URL, token, actor, timeout from flags or LLM_CANARY_URL / LLM_CANARY_TOKEN),
 * dispatch, and the changes (`set-weight`, `pause`, `resume`, `promote`,
 * `rollback`, `release start`). Every change needs `--reason`; the actor is
 * `--actor`, else the OS user. Reads live in `admin-views.ts`, flags in
 * `cli/admin-flags.ts`.
 */
import type { AdminClient } from "../admin-client";
import { AdminApiError, adminClient, DEFAULT_TIMEOUT_MS, DEFAULT_URL } from "../admin-client";
import type { ActionResponse } from "../../contracts/admin-api";
import { ActionResponseSchema } from "../../contracts/admin-api";
import { CliError, dim } from "../output";
import { pct, routeHeadline } from "../status-view";
import type { AdminFlags } from "../admin-flags";
import { actorFrom, seconds } from "../admin-flags";
import { decisionsCommand, historyCommand, statusCommand, watchCommand } from "./admin-views";

export const ADMIN_HELP = `Operations (admin API at --url or LLM_CANARY_URL, default ${DEFAULT_URL};
token from --token or LLM_CANARY_TOKEN)
  status [--route ID]   releases, step, weights, segments and the newest verdicts per route
  watch [--route ID] [--interval 5] [--once | --count N]
                        the status view, refreshed until Ctrl-C
  history [--limit N]   config versions with actor, reason and changes
  decisions [--route ID] [--action A] [--limit N]
                        analyzer decisions
  set-weight ROUTE WEIGHT [--segment NAME] --reason TEXT
  pause ROUTE --reason TEXT        resume ROUTE --reason TEXT
  promote ROUTE --reason TEXT      rollback ROUTE --reason TEXT
  release start ROUTE --id ID --origin URL --model NAME [--api-key-secret NAME]
          [--weight W] [--steps 1,5,25,100] --reason TEXT
                        a new canary release (resets the step, reshuffles assignment)
  Changes also take --actor NAME (default: your OS user) and --if-match VERSION
  (refused with exit 1 when the config moved on); all take --timeout SECONDS (15).`;

const COMMANDS = [
  "status",
  "watch",
  "history",
  "decisions",
  "set-weight",
  "pause",
  "resume",
  "promote",
  "rollback",
  "release",
] as const;
type AdminCommand = (typeof COMMANDS)[number];

export function isAdminCommand(command: string): command is AdminCommand {
  return (COMMANDS as readonly string[]).includes(command);
}

function number(value: string, what: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n))
    throw new CliError(`${what} must be a number (got "${value}")`, 2);
  return n;
}

/** The admin API client of the flags (or LLM_CANARY_URL / LLM_CANARY_TOKEN). */
export function connect(f: AdminFlags, env: NodeJS.ProcessEnv): AdminClient {
  return adminClient({
    url: f.url ?? env.LLM_CANARY_URL ?? DEFAULT_URL,
    token: f.token ?? env.LLM_CANARY_TOKEN ?? null,
    actor: actorFrom(f.actor),
    timeoutMs: seconds(f.timeout, "timeout", DEFAULT_TIMEOUT_MS / 1000) * 1000,
  });
}

function requireReason(f: AdminFlags, command: string): string {
  const reason = f.reason?.trim() ?? "";
  if (reason === "")
    throw new CliError(
      `${command} needs --reason TEXT: every change is recorded with its reason in the config history`,
      2,
    );
  return reason;
}

function positionals(args: string[], names: string[], usage: string): string[] {
  if (args.length !== names.length) {
    const missing = names.slice(args.length);
    throw new CliError(
      args.length < names.length
        ? `missing ${missing.join(" and ")}\nusage: llm-canary ${usage}`
        : `unexpected argument "${args[names.length]}"\nusage: llm-canary ${usage}`,
      2,
    );
  }
  return args;
}

function ifMatchHeader(f: AdminFlags): Record<string, string> {
  if (f["if-match"] === undefined) return {};
  const v = Number(f["if-match"]);
  if (!Number.isInteger(v) || v < 0)
    throw new CliError("--if-match must be a config version number", 2);
  return { "if-match": String(v) };
}

function steps(value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  return value.split(",").map((s) => number(s.trim(), "--steps entries"));
}

function report(r: ActionResponse, done: string, json: boolean): number {
  if (json) {
    console.log(JSON.stringify(r, null, 2));
    return 0;
  }
  const what = r.changed ? done : "nothing changed (already so)";
  console.log(`${r.route.id}: ${what} ${dim(`· config version ${r.version}`)}`);
  console.log(routeHeadline(r.route));
  return 0;
}

async function change(
  api: AdminClient,
  f: AdminFlags,
  route: string,
  path: string,
  body: Record<string, unknown>,
  done: string,
): Promise<number> {
  const r = await api.post(
    `/admin/routes/${encodeURIComponent(route)}/${path}`,
    body,
    ActionResponseSchema,
    ifMatchHeader(f),
  );
  return report(r, done, f.json === true);
}

async function dispatch(
  command: AdminCommand,
  args: string[],
  f: AdminFlags,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  switch (command) {
    case "status":
      positionals(args, [], "status [--route ID]");
      return statusCommand(connect(f, env), f);
    case "watch":
      positionals(args, [], "watch [--interval S] [--once | --count N]");
      return watchCommand(connect(f, env), f);
    case "history":
      positionals(args, [], "history [--limit N]");
      return historyCommand(connect(f, env), f);
    case "decisions":
      positionals(args, [], "decisions [--route ID] [--action A] [--limit N]");
      return decisionsCommand(connect(f, env), f);
    case "set-weight": {
      const [route, raw] = positionals(args, ["ROUTE", "WEIGHT"], "set-weight ROUTE WEIGHT");
      const weight = number(raw!, "WEIGHT");
      const reason = requireReason(f, command);
      const body = { weight, reason, ...(f.segment !== undefined ? { segment: f.segment } : {}) };
      const target = f.segment !== undefined ? `segment ${f.segment} weight` : "weight";
      return change(connect(f, env), f, route!, "weight", body, `${target} set to ${pct(weight)}`);
    }
    case "pause":
    case "resume":
    case "promote":
    case "rollback": {
      const [route] = positionals(args, ["ROUTE"], `${command} ROUTE --reason TEXT`);
      const reason = requireReason(f, command);
      const done = {
        pause: "paused (weights frozen, the analyzer stops acting)",
        resume: "resumed",
        promote: "promoted (the canary is now stable)",
        rollback: "rolled back (the canary stops serving)",
      }[command];
      return change(connect(f, env), f, route!, command, { reason }, done);
    }
    case "release": {
      const usage = "release start ROUTE --id ID --origin URL --model NAME --reason TEXT";
      const [sub, route] = positionals(args, ["start", "ROUTE"], usage);
      if (sub !== "start")
        throw new CliError(`unknown release command "${sub}"\nusage: ${usage}`, 2);
      const missing = (["id", "origin", "model"] as const).filter((k) => !f[k]);
      if (missing.length > 0)
        throw new CliError(`release start needs ${missing.map((k) => `--${k}`).join(", ")}`, 2);
      const reason = requireReason(f, "release start");
      const canary = {
        id: f.id!,
        originUrl: f.origin!,
        model: f.model!,
        ...(f["api-key-secret"] ? { apiKeySecret: f["api-key-secret"] } : {}),
      };
      const weight = f.weight === undefined ? undefined : number(f.weight, "--weight");
      const body = { canary, reason, weight, steps: steps(f.steps) };
      return change(connect(f, env), f, route!, "releases", body, `release ${f.id} started`);
    }
  }
}

/**
 * Runs one admin command. With `--json`, a refusal also prints the API's
 * error body on stdout, so scripts can read `error.code`.
 *
 * @example
 * await runAdmin("pause", ["chat"], { reason: "incident 4711" }); // 0
 */
export async function runAdmin(
  command: AdminCommand,
  args: string[],
  f: AdminFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  try {
    return await dispatch(command, args, f, env);
  } catch (e) {
    if (f.json && e instanceof AdminApiError)
      console.log(
        JSON.stringify(
          e.body !== null && typeof e.body === "object"
            ? e.body
            : { error: { message: e.message, type: "cli_error", code: "unreachable" } },
        ),
      );
    throw e;
  }
}
