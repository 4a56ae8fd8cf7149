/**
 * The analyzer's pure core, for the cron handler and the CLI:
 *
 * - `decide(input)`: one route, one minute → action and the route to write.
 * - `resolvePolicy(base, route.policy)`: the policy in force, validated.
 * - `analysisWindowStart(route, now)`: where the window to read starts.
 * - `replay(events, route, policy, range)` / `Replayer`: minute-by-minute
 *   backtests over outcome events; `MinuteRollup` builds the same
 *   `WindowData` the D1 reader produces.
 *
 * It exports what `worker/` and `cli/` use (knip keeps it so); the simulator
 * behind docs/statistics.md (`sim/`) is driven by its own tests and bench.
 * Nothing here performs I/O or reads the clock; see docs/statistics.md. The
 * Worker's entry points into D1 are `analyzer/worker.ts`. `worker/` and `cli/`
 * import the analyzer only through these two files (ESLint's
 * `no-restricted-imports` enforces it).
 */
export type { ArmData, Slice, WindowData } from "./window";
export { metricSums, SLICE_DIMS, sliceLabel } from "./window";
export type { PolicyInput } from "./policy/policy";
export { PolicySchema, resolvePolicy } from "./policy/policy";
/** @public (docs/statistics.md shows the cron's use of these three) */
export { decide, routeToWrite } from "./policy/decide";
/** @public */
export { analysisWindowStart } from "./replay/replay";
export { replay, Replayer } from "./replay/replay";
export type { RollupEvent } from "./replay/rollup";
export { floorMinute, MINUTE_MS, MinuteRollup, qualityEvent } from "./replay/rollup";
export type { Random } from "./sim/prng";
export { mulberry32, pickCumulative } from "./sim/prng";
