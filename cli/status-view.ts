/**
 * The `status` and `watch` screen, as pure functions of the admin API's
 * answers and `now`: per route the releases, step, weights, state and
 * segments, then each metric's latest effect with its interval and verdict
 * from the newest decision record (fail red, pass green, inconclusive
 * yellow). Colours come from `output.ts`, so `--no-color` applies.
 */
import type { ConfigResponse, DecisionView, RouteView, VerdictView } from "../contracts/admin-api";
import { adviceOf, verdictsOf } from "./decision-record";
import { bold, dim, green, red, table, yellow } from "./output";

export interface RouteStatus {
  route: RouteView;
  /** The route's newest analyzer decision, or null before the first. */
  decision: DecisionView | null;
}

export interface StatusData {
  version: number;
  health?: unknown;
  routes: RouteStatus[];
}

/** `2026-11-27 10:05:03Z` from epoch ms. Pure. */
export function shortTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
}

/** `45 s ago`, `12 min ago`, `3 h ago`, `2 d ago`. Pure. */
export function ago(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/** A weight as `5%` (two decimals at most). */
export function pct(weight: number): string {
  return `${Number(weight.toFixed(2))}%`;
}

function sig(x: number): string {
  if (x === 0) return "0";
  return Math.abs(x) >= 1000 ? x.toFixed(0) : Number(x.toPrecision(3)).toString();
}

const signed = (s: string, x: number) => (x > 0 ? `+${s}` : s);

/**
 * One bound or estimate of an effect on a readable scale: ratios as a
 * percentage change (`+12.5%`), rate differences in percentage points
 * (`+0.40 pp`), other differences as signed numbers; `?` when unknown.
 */
export function formatEffectValue(
  x: number | null,
  kind: string,
  stat: string | undefined,
): string {
  if (x === null || !Number.isFinite(x)) return "?";
  if (kind === "ratio") {
    const change = (x - 1) * 100;
    return signed(`${change.toFixed(1)}%`, change);
  }
  if (stat === "rate") {
    const points = x * 100;
    return signed(`${points.toFixed(2)} pp`, points);
  }
  return signed(sig(x), x);
}

/** The effect as `delta` and `[lower, upper]` (`—` without an estimate). Pure. */
export function formatEffect(v: VerdictView): { delta: string; interval: string } {
  const { kind, estimate, lower, upper } = v.effect;
  if (estimate === null) return { delta: "—", interval: "" };
  const f = (x: number | null) => formatEffectValue(x, kind, v.stat);
  return { delta: f(estimate), interval: `[${f(lower)}, ${f(upper)}]` };
}

/** The verdict word in its colour. */
export function colourVerdict(verdict: string): string {
  switch (verdict) {
    case "fail":
      return red(verdict);
    case "pass":
      return green(verdict);
    case "inconclusive":
      return yellow(verdict);
    default:
      return dim(verdict);
  }
}

/** An analyzer action in its colour. */
export function colourAction(action: string): string {
  switch (action) {
    case "rollback":
    case "error":
      return red(action);
    case "promote":
    case "advance":
      return green(action);
    case "hold":
      return action;
    default:
      return yellow(action);
  }
}

/**
 * The verdicts worth a line: every metric on the whole traffic (`all`), then
 * any other slice that failed (a segment or country regression).
 */
export function shownVerdicts(verdicts: readonly VerdictView[]): VerdictView[] {
  const all = verdicts.filter((v) => v.slice.dim === "all");
  const failing = verdicts.filter((v) => v.slice.dim !== "all" && v.verdict === "fail");
  return [...all, ...failing];
}

/** A segment rule's match as `countries=DE cohorts=internal`. Pure. */
export function describeMatch(match: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [field, value] of Object.entries(match)) {
    if (Array.isArray(value)) parts.push(`${field}=${value.join(",")}`);
    else if (typeof value === "object" && value !== null)
      for (const [k, vals] of Object.entries(value))
        parts.push(`${field}.${k}=${Array.isArray(vals) ? vals.join(",") : String(vals)}`);
    else parts.push(`${field}=${String(value)}`);
  }
  return parts.join(" ") || "(everything)";
}

function colourState(state: string): string {
  switch (state) {
    case "active":
      return green(state);
    case "paused":
      return yellow(state);
    case "rolled_back":
      return red(state);
    default:
      return state;
  }
}

/** `step 2/5 (10%)`, or `no rollout`. */
export function stepText(route: RouteView): string {
  const r = route.rollout;
  if (!r) return "no rollout";
  const at = r.steps[r.stepIndex];
  return `step ${r.stepIndex + 1}/${r.steps.length}${at === undefined ? "" : ` (${pct(at)})`}`;
}

function verdictTable(verdicts: readonly VerdictView[]): string {
  const rows = [["metric", "slice", "effect", "interval", "verdict", "n canary/stable"].map(dim)];
  for (const v of verdicts) {
    const { delta, interval } = formatEffect(v);
    const slice = v.slice.dim === "all" ? "all" : `${v.slice.dim}=${v.slice.value}`;
    rows.push([
      v.critical ? bold(v.metric) : v.metric,
      slice,
      delta,
      interval,
      colourVerdict(v.verdict),
      `${v.canary.n}/${v.stable.n}`,
    ]);
  }
  return table(rows)
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
}

/** `chat  active  step 2/5 (10%)  weight 10%`. Pure. */
export function routeHeadline(route: RouteView): string {
  return `${bold(route.id)}  ${colourState(route.state)}  ${stepText(route)}  weight ${bold(pct(route.weight))}`;
}

/** One route's block of the status screen. Pure. */
export function renderRoute(s: RouteStatus, now: number): string {
  const { route, decision } = s;
  const lines = [routeHeadline(route)];
  const release = (label: string, r: RouteView["stable"]) =>
    `  ${label}  ${r.id}  ${dim(`${r.model} @ ${r.originUrl}`)}`;
  lines.push(release("stable", route.stable));
  lines.push(route.canary ? release("canary", route.canary) : `  canary  ${dim("(none)")}`);
  if (route.rollout)
    lines.push(
      `  steps   ${route.rollout.steps.map(pct).join(" → ")}  ${dim(`step since ${shortTime(Date.parse(route.rollout.stepStartedAt))}`)}`,
    );
  if (route.segments.length > 0) {
    lines.push("  segments");
    const rows = route.segments.map((seg) => [
      seg.name,
      pct(seg.weight),
      dim(describeMatch(seg.match)),
    ]);
    lines.push(
      table(rows)
        .split("\n")
        .map((l) => `    ${l}`)
        .join("\n"),
    );
  }
  if (!decision) {
    lines.push(`  decision  ${dim("none yet")}`);
    return lines.join("\n");
  }
  const applied = decision.dryRun ? "dry run" : decision.applied ? "applied" : "not applied";
  lines.push(
    `  decision  ${colourAction(decision.action)}  ${shortTime(decision.at)} ${dim(`(${ago(decision.at, now)}, ${applied})`)}`,
  );
  lines.push(`    ${decision.summary}`);
  for (const advice of adviceOf(decision)) lines.push(`    ${yellow(advice)}`);
  const verdicts = shownVerdicts(verdictsOf(decision));
  if (verdicts.length > 0) lines.push(verdictTable(verdicts));
  return lines.join("\n");
}

/** The whole status screen. Pure. */
export function renderStatus(data: StatusData, now: number): string {
  const health =
    typeof data.health === "object" && data.health !== null && "status" in data.health
      ? ` · config ${String((data.health as { status: unknown }).status)}`
      : "";
  const head = dim(`config version ${data.version}${health}`);
  if (data.routes.length === 0) return `${head}\nno routes`;
  return [head, ...data.routes.map((r) => renderRoute(r, now))].join("\n\n");
}

/** The routes of a config answer, optionally only one. */
export function routesOf(cfg: ConfigResponse, only?: string): RouteView[] {
  const routes = cfg.config?.routes ?? [];
  return only === undefined ? routes : routes.filter((r) => r.id === only);
}
