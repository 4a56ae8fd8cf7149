/**
 * The dashboard's formatting: numbers, units, times, effects, segment
 * matches and chart paths as text. Pure (no DOM), so it is unit-tested in
 * Node (`test/unit/dashboard-format.unit.test.ts`).
 */
import type { DecisionView, VerdictView } from "../../../contracts/admin-api";

/** A series' unit as the API names it. */
export type Unit = "ms" | "ratio" | "requests" | string;

/** A weight in percent, at most two decimals: `pct(12.5)` is `"12.5%"`. */
export const pct = (w: number): string => `${Number(Number(w).toFixed(2))}%`;

/** Three significant digits, whole numbers from 1000 on. */
export const sig = (x: number): string =>
  Math.abs(x) >= 1000 ? x.toFixed(0) : String(Number(x.toPrecision(3)));

/**
 * A value in its unit: `fmt(1234, "ms")` is `"1.23 s"`, `fmt(0.012, "ratio")`
 * is `"1.2%"`; `"?"` for a missing or non-finite value.
 */
export function fmt(v: number | null | undefined, unit: Unit): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "?";
  if (unit === "ms") return v >= 1000 ? `${sig(v / 1000)} s` : `${sig(v)} ms`;
  if (unit === "ratio") return `${sig(v * 100)}%`;
  if (unit === "requests") return String(Math.round(v));
  return sig(v);
}

/** `HH:MM` (UTC) of an epoch-ms time. */
export const time = (ms: number): string => new Date(ms).toISOString().slice(11, 16);

/** `YYYY-MM-DD HH:MM:SSZ` of an epoch-ms time. */
export const stamp = (ms: number): string =>
  `${new Date(ms).toISOString().replace("T", " ").slice(0, 19)}Z`;

/** A chart's caption suffix for its unit. */
export function unitCaption(unit: Unit): string {
  if (unit === "ms") return " (ms)";
  if (unit === "ratio") return " (%)";
  if (unit === "requests") return " per bucket";
  return " (mean)";
}

/** A segment rule's match as `field=a,b field.key=c` (or `(everything)`). */
export function describeMatch(match: Record<string, unknown> | undefined): string {
  const parts: string[] = [];
  for (const [field, value] of Object.entries(match ?? {})) {
    if (Array.isArray(value)) parts.push(`${field}=${value.join(",")}`);
    else if (value && typeof value === "object")
      for (const [k, vals] of Object.entries(value))
        parts.push(`${field}.${k}=${([] as unknown[]).concat(vals).join(",")}`);
    else parts.push(`${field}=${String(value)}`);
  }
  return parts.join(" ") || "(everything)";
}

/**
 * A verdict's effect and interval as text: a ratio as a percent change, a
 * rate difference in percentage points, anything else with its sign.
 */
export function effectText(v: VerdictView): [string, string] {
  const e = v.effect;
  const f = (x: number | null | undefined): string => {
    if (x === null || x === undefined || !Number.isFinite(x)) return "?";
    if (e.kind === "ratio") {
      const c = (x - 1) * 100;
      return `${c > 0 ? "+" : ""}${c.toFixed(1)}%`;
    }
    if (v.stat === "rate") {
      const p = x * 100;
      return `${p > 0 ? "+" : ""}${p.toFixed(2)} pp`;
    }
    return `${x > 0 ? "+" : ""}${sig(x)}`;
  };
  if (e.estimate === null || e.estimate === undefined) return ["–", ""];
  return [f(e.estimate), `[${f(e.lower)}, ${f(e.upper)}]`];
}

/** Whether a decision's change was written: dry run, applied, not applied, or nothing to write. */
export function decisionStatus(d: Pick<DecisionView, "dryRun" | "applied" | "changed">): string {
  if (d.dryRun) return "dry run";
  if (d.applied) return "applied";
  return d.changed ? "not applied" : "";
}

export interface XY {
  t: number;
  v: number;
}

/**
 * The SVG path through `points` under the scales `x` and `y`; one point is a
 * short horizontal tick so it stays visible.
 */
export function pathFor(
  points: readonly XY[],
  x: (t: number) => number,
  y: (v: number) => number,
): string {
  const first = points[0];
  if (!first) return "";
  if (points.length === 1) {
    const px = x(first.t);
    const py = y(first.v);
    return `M${(px - 4).toFixed(1)} ${py.toFixed(1)}H${(px + 4).toFixed(1)}`;
  }
  return points.map((p, i) => `${i ? "L" : "M"}${x(p.t).toFixed(1)} ${y(p.v).toFixed(1)}`).join("");
}
