/**
 * The analyzer's entry points for the Worker, which read and write D1 (the
 * pure core is `analyzer/index.ts`):
 *
 * - `handleScheduled(controller, env)`: the cron run.
 * - `readStep` / `readWindow`: a route's current-step aggregates and its
 *   per-minute window, as `/admin/metrics` serves them.
 */
export { handleScheduled } from "./scheduled";
export { readStep } from "./store/step-reader";
export { readWindow } from "./store/window-reader";
