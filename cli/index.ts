/**
 * `llm-canary`: the operator's command line. Offline commands (`export`,
 * `analyze`, `backtest`) run the analyzer's own code in Node; the others
 * talk to the admin API (URL and token from flags or LLM_CANARY_URL /
 * LLM_CANARY_TOKEN). Exit codes: 0 ok, 1 the operation failed, 2 bad usage
 * or input, 3 the edge or D1 could not be reached.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { ADMIN_OPTIONS } from "./admin-flags";
import { ConfigResponseSchema } from "../contracts/admin-api";
import { ADMIN_HELP, connect, isAdminCommand, runAdmin } from "./commands/admin";
import { exportOutcomes } from "./commands/export";
import { load, LOAD_HELP, LOAD_OPTIONS } from "./commands/load";
import { analyze, backtest } from "./commands/offline";
import { CliError, setColour } from "./output";

const HELP = `llm-canary <command> [options]

${ADMIN_HELP}

Offline analysis
  export [--out FILE] [--local [--persist-to DIR] | --remote] [--route ID] [--since ISO] [--until ISO]
         [--from d1|r2] outcome events from D1 (default) or from the R2 archive through the
                        admin API (--url, --token), as JSONL; quality records come from D1
  analyze FILE [--policy FILE] [--config FILE] [--route ID] [--rollout ID]
                        the analyzer's decision over an export, as a record
  backtest FILE [--policy FILE] [--config FILE] [--route ID] [--rollout ID]
                        replay the cron minute by minute over an export

Traffic
${LOAD_HELP}

Options: --json (machine output), --no-color, --help
Exit codes: 0 ok, 1 operation failed (the API refused: 409, 422, ...), 2 bad usage or input,
3 edge or D1 unreachable, credentials refused (401) or admin API disabled (503)`;

const OPTIONS = {
  json: { type: "boolean", default: false },
  "no-color": { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
  out: { type: "string", short: "o" },
  local: { type: "boolean", default: false },
  remote: { type: "boolean", default: false },
  "persist-to": { type: "string" },
  database: { type: "string", default: "DB" },
  from: { type: "string", default: "d1" },
  route: { type: "string" },
  rollout: { type: "string" },
  since: { type: "string" },
  until: { type: "string" },
  policy: { type: "string" },
  config: { type: "string" },
  ...LOAD_OPTIONS,
  ...ADMIN_OPTIONS,
} as const;

function time(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (Number.isNaN(t))
    throw new CliError(`--${flag} must be an ISO time, e.g. 2026-11-27T10:00:00Z`, 2);
  return t;
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new CliError(`${(e as Error).message}\n\n${HELP}`, 2);
  }
  const { values: v, positionals } = parsed;
  if (v["no-color"]) setColour(false);
  const [command, ...rest] = positionals;
  if (v.help || !command) {
    console.log(HELP);
    return command || v.help ? 0 : 2;
  }
  const offline = () => {
    const file = rest[0];
    if (!file)
      throw new CliError(`${command} needs an outcomes file (from \`llm-canary export\`)`, 2);
    return {
      file,
      policyFile: v.policy,
      configFile: v.config,
      routeId: v.route,
      rolloutId: v.rollout,
      json: v.json,
    };
  };
  switch (command) {
    case "export": {
      if (v.local && v.remote) throw new CliError("choose one of --local and --remote", 2);
      if (v.from !== "d1" && v.from !== "r2") throw new CliError("--from must be d1 or r2", 2);
      const api = v.from === "r2" ? connect(v, process.env) : null;
      return exportOutcomes({
        out: v.out,
        remote: v.remote,
        persistTo: v["persist-to"],
        database: v.database,
        routeId: v.route,
        since: time(v.since, "since"),
        until: time(v.until, "until"),
        root: resolve(process.env.LLM_CANARY_ROOT ?? process.cwd()),
        from: v.from,
        ...(api
          ? {
              archive: {
                api,
                routeIds: async () =>
                  ((await api.get("/admin/config", ConfigResponseSchema)).config?.routes ?? []).map(
                    (r) => r.id,
                  ),
              },
            }
          : {}),
      });
    }
    case "analyze":
      return analyze(offline());
    case "backtest":
      return backtest(offline());
    case "load":
      return load(v);
    default:
      if (isAdminCommand(command)) return runAdmin(command, rest, v);
      throw new CliError(`unknown command "${command}"\n\n${HELP}`, 2);
  }
}

/**
 * Ends the process once stdout and stderr have flushed. On Linux a pipe is
 * written asynchronously, so `process.exit` right after a large `console.log`
 * would cut a piped `--json` answer at the pipe's buffer (64 KiB).
 */
function exit(code: number): void {
  process.exitCode = code;
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

main(process.argv.slice(2)).then(exit, (e: unknown) => {
  if (e instanceof CliError) {
    console.error(`llm-canary: ${e.message}`);
    exit(e.exitCode);
    return;
  }
  console.error(e);
  exit(1);
});
