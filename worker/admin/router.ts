/**
 * The admin API, mounted at `/admin`: authentication first (nothing answers
 * without it), then a drizzle client per request, then the sub-routers.
 * `requireAdmin` guards `/metrics` with the same rules. The dashboard's page
 * and sign-in come before the middleware: they answer a browser without
 * credentials with the login form (and run the same auth themselves).
 */
import { drizzle } from "drizzle-orm/d1";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError, onError } from "../errors";
import { archiveRoutes } from "./archive-routes";
import type { AdminAuthOptions } from "./auth";
import { adminAuth } from "./auth";
import { dashboardRoutes } from "../dashboard/routes";
import { configRoutes } from "./config-routes";
import type { AdminEnv } from "./context";
import { historyRoutes } from "./history-routes";
import { metricsRoutes } from "./metrics-routes";
import { openApiRoutes } from "./openapi";
import { routeActions } from "./route-actions";
import { seriesRoutes } from "./series-routes";

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * @example
 * app.route("/admin", createAdminRouter({ jwks: async () => testKeys }));
 */
export function createAdminRouter(opts: AdminAuthOptions = {}): Hono<AdminEnv> {
  const router = new Hono<AdminEnv>();
  const auth = adminAuth(opts);
  router.route("/", dashboardRoutes(auth));
  router.use(auth);
  router.use(async (c, next) => {
    c.set("db", drizzle(c.env.DB));
    await next();
  });
  router.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError(
          413,
          "invalid_request_error",
          "body_too_large",
          "Admin request bodies are limited to 1 MiB.",
        );
      },
    }),
  );
  router.route("/", configRoutes);
  router.route("/", routeActions);
  router.route("/", historyRoutes);
  router.route("/", metricsRoutes);
  router.route("/", seriesRoutes);
  router.route("/", archiveRoutes);
  router.route("/", openApiRoutes);
  router.onError(onError);
  return router;
}

/** Guards `/metrics` (Prometheus) with the admin credentials. */
export const requireAdmin = adminAuth();

export const adminRouter = createAdminRouter();
