/**
 * The analyzer's pure core, for the cron handler and the CLI:
 *
 * - `decide(input)`: one route, one minute → action and the route to write.
 * - `resolvePolicy(base, route.policy)`: the policy in force, validated.
 * - `analysisWindowStart(route, now)`: where the window to read starts.
 * - `replay(events, route, policy, range)` / `Replayer`: minute-by-minute
 *   backtests over outcome events; `MinuteRollup` builds the same
 *   `WindowData` the D1 reader produces.
 * - `simulate(scenario, seed)`: seeded traffic against a live route.
 *
 * Nothing here performs I/O or reads the clock; see docs/statistics.md. The
 * Worker's entry points into D1 are `analyzer/worker.ts`. `worker/` and `cli/`
 * import the analyzer only through these two files (ESLint's
 * `no-restricted-imports` enforces it).
 */
export type { ArmData, MetricSums, SketchBins, Slice, SliceDim, WindowData } from "./window";
export {
  ALL_VALUE,
  DEFAULT_SEGMENT,
  fallbackValue,
  metricSums,
  SLICE_DIMS,
  sliceLabel,
  UNKNOWN_VALUE,
} from "./window";
export type { MetricDefinition, MetricDefinitionInput, MetricStat } from "./metrics/definitions";
export { DEFAULT_METRICS, MetricDefinitionSchema } from "./metrics/definitions";
export type { VerdictKind, VerdictRecord } from "./metrics/verdict";
export { evaluateMetric } from "./metrics/verdict";
export { evaluateWindow } from "./metrics/evaluate";
export type { Policy, PolicyInput, PolicyResult } from "./policy/policy";
export { DEFAULT_POLICY, PolicySchema, resolvePolicy } from "./policy/policy";
export type { Action, Decision, DecideInput, SrmSummary } from "./policy/types";
export { decide, routeToWrite } from "./policy/decide";
export type { ReplayResult, TimelineEntry } from "./replay/replay";
export { analysisWindowStart, replay, Replayer } from "./replay/replay";
export type { RollupEvent } from "./replay/rollup";
export { floorMinute, MINUTE_MS, MinuteRollup } from "./replay/rollup";
export type { Scenario } from "./sim/scenario";
export { scenario } from "./sim/scenario";
export type { SimResult } from "./sim/simulate";
export { simulate } from "./sim/simulate";
export type { Random } from "./sim/prng";
export { mulberry32, pickCumulative } from "./sim/prng";
