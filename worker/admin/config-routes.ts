/**
 * `GET /admin/config`, `PUT /admin/config` (replace) and `PATCH /admin/config`
 * (JSON merge patch, RFC 7386). Writes require `If-Match: <version>` and a
 * reason (a top-level `reason` field, which is not part of the document, or
 * the `x-reason` header), and go through the config store's compare-and-set.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { parseRoutingConfig } from "../../contracts/config";
import { ROUTING_CONFIG_KEY } from "../../contracts/kv-keys";
import type { ConfigVersion } from "../../store/config-store";
import { latestVersion, reconcile, writeConfig } from "../../store/config-store";
import { configHealth, getRoutingConfig } from "../config/source";
import { ADMIN_API, on } from "./api";
import type { AdminEnv } from "./context";
import { mergePatch } from "./merge-patch";
import { etag, ifMatch, readObject, reasonOf, validationError } from "./request";
import { checkVersion, conflict, settle } from "./writes";

export const configRoutes = new Hono<AdminEnv>();

on(configRoutes, "/admin", ADMIN_API.getConfig, async (c) => {
  const now = Date.now();
  // Refresh this isolate's view so `health` describes what it routes by now.
  await getRoutingConfig(c.env.CONFIG, now);
  const rec = await reconcile(c.var.db, c.env.CONFIG, now);
  const latest = await latestVersion(c.var.db);
  let body: { version: number; config: unknown };
  if (latest) body = { version: latest.version, config: latest.doc };
  else {
    // History empty and KV not recordable: show what KV holds, if it is valid.
    const parsed = parseRoutingConfig(await c.env.CONFIG.get(ROUTING_CONFIG_KEY));
    body = parsed.ok
      ? { version: parsed.config.version, config: parsed.config }
      : { version: 0, config: null };
  }
  c.header("etag", etag(body.version));
  return c.json({ ...body, health: configHealth(), reconcile: rec.status });
});

/** Reads the body, its reason and `If-Match`, and the newest version after reconciling. */
async function prepare(c: Context<AdminEnv>) {
  const expected = ifMatch(c, true)!;
  const body = await readObject(c);
  const { reason: _reason, ...doc } = body;
  await reconcile(c.var.db, c.env.CONFIG, Date.now());
  const latest = await latestVersion(c.var.db);
  if (latest) checkVersion(expected, latest);
  else if (expected !== 0) throw conflict(0);
  return { expected, doc, reason: reasonOf(c, body), latest };
}

/** Validates `doc` as the next version and writes it; one 422 lists every problem. */
async function write(
  c: Context<AdminEnv>,
  doc: unknown,
  expected: number,
  reason: ReturnType<typeof reasonOf>,
) {
  const parsed =
    typeof doc === "object" && doc !== null && !Array.isArray(doc)
      ? parseRoutingConfig({ ...doc, version: expected + 1 })
      : ({ ok: false, errors: ["(root): must be a JSON object"] } as const);
  const errors = [...(parsed.ok ? [] : parsed.errors), ...(reason.ok ? [] : [reason.error])];
  if (!parsed.ok || !reason.ok) throw validationError(errors, "invalid_config");
  const written = settle(
    await writeConfig(c.var.db, c.env.CONFIG, {
      expectedVersion: expected,
      config: parsed.config,
      actor: c.var.actor,
      reason: reason.reason,
      source: "admin",
      now: Date.now(),
    }),
  )!;
  c.header("etag", etag(written.version));
  return c.json(written);
}

on(configRoutes, "/admin", ADMIN_API.putConfig, async (c) => {
  const { expected, doc, reason } = await prepare(c);
  return write(c, doc, expected, reason);
});

on(configRoutes, "/admin", ADMIN_API.patchConfig, async (c) => {
  const { expected, doc: patch, reason, latest } = await prepare(c);
  const base: ConfigVersion["doc"] | Record<string, never> = latest?.doc ?? {};
  return write(c, mergePatch(base, patch), expected, reason);
});
