/**
 * The Worker's single entry: the edge router (fetch), the outcome consumer
 * (queue) and the analyzer (scheduled). Each handler is thin and lives with
 * the code it drives.
 */
import { app } from "./app";
import { handleQueue } from "./queues";
import { handleScheduled } from "../analyzer/worker";

export default {
  fetch: app.fetch,
  queue: handleQueue,
  scheduled: handleScheduled,
} satisfies ExportedHandler<Env>;
