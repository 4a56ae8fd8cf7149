/**
 * The edge router's HTTP surface: OpenAI-compatible `/v1/*` (and feedback),
 * health, the admin API and Prometheus metrics. One `onError` renders every
 * error OpenAI-shaped.
 */
import { Hono } from "hono";
import { ADMIN_API, on } from "./admin/api";
import { adminRouter, requireAdmin } from "./admin/router";
import { ApiError, onError } from "./errors";
import { postFeedback } from "./feedback/route";
import { prometheusMetrics } from "./metrics/route";
import { listModels, proxy } from "./proxy/handler";
import type { AppEnv } from "./types";

export const app = new Hono<AppEnv>();

app.use(async (c, next) => {
  const requestId = crypto.randomUUID();
  c.set("requestId", requestId);
  await next();
  c.res.headers.set("x-request-id", requestId);
});

app.get("/healthz", (c) => c.json({ ok: true }));
app.route("/admin", adminRouter);
app.use(ADMIN_API.prometheus.path, requireAdmin);
on(app, "", ADMIN_API.prometheus, prometheusMetrics);
app.get("/v1/models", listModels);
app.post("/v1/feedback", postFeedback);
app.post("/v1/*", proxy);
app.all("/v1/*", () => {
  throw new ApiError(
    405,
    "invalid_request_error",
    "method_not_allowed",
    "Use POST for this endpoint.",
  );
});

app.notFound(() => {
  throw new ApiError(404, "not_found_error", "not_found", "Unknown path.");
});
app.onError(onError);
