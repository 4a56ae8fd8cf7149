/**
 * `analyze` and `backtest`: the analyzer's own code, run in Node over an
 * outcome export. `analyze` decides once over the whole file (the window of
 * the current step); `backtest` replays the cron minute by minute over the
 * file's time span with the real policy and step logic.
 */
import { readFile } from "node:fs/promises";
import type { Route, RoutingConfig } from "../../contracts/config";
import { parseRoutingConfig } from "../../contracts/config";
import {
  decide,
  floorMinute,
  MINUTE_MS,
  MinuteRollup,
  qualityEvent,
  replay,
  resolvePolicy,
  type PolicyInput,
  type RollupEvent,
} from "../../analyzer";
import type { QualityRecord } from "../../contracts/export";
import type { OutcomeEvent } from "../../contracts/outcome";
import { readOutcomes } from "../jsonl";
import { bold, CliError, dim, green, progress, red, table, yellow } from "../output";
import { routeForAnalysis } from "../route-from-events";

export interface OfflineOptions {
  file: string;
  policyFile?: string;
  configFile?: string;
  routeId?: string;
  rolloutId?: string;
  json: boolean;
}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new CliError(`cannot read ${what} ${path}: ${(e as Error).message}`, 2);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`${what} ${path} is not JSON`, 2);
  }
}

async function load(o: OfflineOptions) {
  const policy = o.policyFile
    ? ((await readJson(o.policyFile, "policy")) as PolicyInput)
    : undefined;
  const resolved = resolvePolicy(policy, undefined);
  if (!resolved.ok)
    throw new CliError(`invalid policy ${o.policyFile}:\n  ${resolved.errors.join("\n  ")}`, 2);
  let config: RoutingConfig | undefined;
  if (o.configFile) {
    const parsed = parseRoutingConfig(await readJson(o.configFile, "routing config"));
    if (!parsed.ok)
      throw new CliError(
        `invalid routing config ${o.configFile}:\n  ${parsed.errors.join("\n  ")}`,
        2,
      );
    config = parsed.config;
  }
  const bar = progress("reading", null);
  const { events, quality } = await readOutcomes(o.file, (n) => bar.update(n));
  bar.done();
  if (events.length === 0) throw new CliError(`${o.file} holds no outcome events`, 2);
  const picked = routeForAnalysis(events, { routeId: o.routeId, rolloutId: o.rolloutId, config });
  if (!picked.ok) throw new CliError(picked.error, 2);
  let route = picked.route;
  if (!config && route.rollout) {
    // Reconstructed route: place it on the policy's steps at the weight it ran with.
    const steps = resolved.policy.steps;
    const idx = Math.max(
      0,
      steps.findIndex((s) => s >= route.weight),
    );
    route = { ...route, rollout: { ...route.rollout, steps, stepIndex: idx } };
  }
  return { policy, route, ...withQuality(picked.events, quality) };
}

/**
 * The picked outcome events and the quality records of the same route and
 * rollout, as rollup events in time order (a record counts at its request's
 * minute, as in D1).
 */
function withQuality(events: readonly OutcomeEvent[], quality: readonly QualityRecord[]) {
  const first = events[0]!;
  const mine = quality.filter(
    (q) => q.routeId === first.routeId && q.rolloutId === first.rolloutId,
  );
  const rollupEvents: RollupEvent[] = [...events, ...mine.map(qualityEvent)].sort(
    (a, b) => a.ts - b.ts,
  );
  return { events, quality: mine, rollupEvents };
}

export async function analyze(o: OfflineOptions): Promise<number> {
  const { policy, route, events, quality, rollupEvents } = await load(o);
  const rollup = new MinuteRollup();
  for (const e of rollupEvents) rollup.add(e);
  const from = floorMinute(events[0]!.ts);
  const to = floorMinute(events[events.length - 1]!.ts) + MINUTE_MS;
  const decision = decide({ route, now: to, window: rollup.window(from, to), policy });
  const { proposedRoute: _p, ...record } = decision;
  const out = {
    routeId: route.id,
    canary: route.canary?.id ?? null,
    events: events.length,
    qualityRecords: quality.length,
    ...record,
    weightAfter: decision.proposedRoute.weight,
  };
  if (o.json) {
    console.log(JSON.stringify(out, null, 2));
  } else {
    console.log(
      `${bold(route.id)} canary ${route.canary?.id} over ${events.length} events, ${new Date(from).toISOString()} → ${new Date(to).toISOString()}`,
    );
    console.log(
      `decision: ${colourAction(decision.action)}${decision.dryRun ? dim(" (dry run)") : ""}`,
    );
    for (const r of decision.reasons) console.log(`  - ${r}`);
    console.log(
      table([
        ["metric", "slice", "stable", "canary", "effect [interval]", "verdict"],
        ...decision.verdicts.map((v) => [
          v.metric,
          v.slice.dim === "all" ? "all" : `${v.slice.dim}=${v.slice.value}`,
          fmt(v.stable.estimate),
          fmt(v.canary.estimate),
          v.effect.estimate === null
            ? "-"
            : `${fmt(v.effect.estimate)} [${fmt(v.effect.lower)}, ${fmt(v.effect.upper)}]`,
          colourVerdict(v.verdict),
        ]),
      ]),
    );
  }
  return 0;
}

export async function backtest(o: OfflineOptions): Promise<number> {
  const { policy, route, events, rollupEvents } = await load(o);
  const from = floorMinute(events[0]!.ts);
  const to = floorMinute(events[events.length - 1]!.ts) + MINUTE_MS;
  const result = replay(rollupEvents, route, policy, { from, to });
  const changes = result.timeline.filter((t) => t.changed || t.notify);
  if (o.json) {
    console.log(
      JSON.stringify(
        {
          routeId: route.id,
          canary: route.canary?.id ?? null,
          from,
          to,
          timeline: result.timeline,
          final: summary(result.finalRoute),
        },
        null,
        2,
      ),
    );
    return 0;
  }
  console.log(
    `${bold(route.id)} canary ${route.canary?.id}: ${result.timeline.length} minutes replayed, ${changes.length} changes`,
  );
  console.log(
    table([
      ["time", "action", "weight", "step", "why"],
      ...changes.map((t) => [
        new Date(t.at).toISOString().slice(0, 16).replace("T", " "),
        colourAction(t.action),
        `${t.weight}%`,
        t.stepIndex === null ? "-" : String(t.stepIndex + 1),
        t.reasons[0] ?? "",
      ]),
    ]),
  );
  console.log(`final: ${JSON.stringify(summary(result.finalRoute))}`);
  return 0;
}

function summary(route: Route) {
  return {
    state: route.state,
    weight: route.weight,
    stable: route.stable.id,
    canary: route.canary?.id ?? null,
    segments: route.segments.map((s) => `${s.name}=${s.weight}`),
  };
}

function fmt(v: number | null): string {
  if (v === null) return "-";
  const a = Math.abs(v);
  return a !== 0 && (a < 0.01 || a >= 1e5)
    ? v.toExponential(2)
    : String(Math.round(v * 1000) / 1000);
}

export function colourAction(action: string): string {
  if (action === "rollback" || action === "freeze" || action === "error") return red(action);
  if (action === "advance" || action === "promote") return green(action);
  return action === "hold" ? action : yellow(action);
}

function colourVerdict(v: string): string {
  return v === "fail"
    ? red(v)
    : v === "pass"
      ? green(v)
      : v === "inconclusive"
        ? yellow(v)
        : dim(v);
}
