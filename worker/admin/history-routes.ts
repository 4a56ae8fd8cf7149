/**
 * `GET /admin/history` (config versions, newest first, each with its diff
 * against the version before) and `GET /admin/decisions` (analyzer decision
 * records).
 */
import { and, desc, eq } from "drizzle-orm";
import { Hono } from "hono";
import { decisions } from "../../contracts/db/schema";
import { describeChanges, diffJson } from "../../store/diff";
import { recentVersions } from "../../store/config-store";
import type { AdminEnv } from "./context";
import { parseWith } from "./request";
import { ADMIN_API, on } from "./api";

export const historyRoutes = new Hono<AdminEnv>();

on(historyRoutes, "/admin", ADMIN_API.history, async (c) => {
  const { limit } = parseWith(ADMIN_API.history.query, c.req.query());
  // One extra version so the oldest shown still has something to diff against.
  const rows = await recentVersions(c.var.db, limit + 1);
  const versions = rows.slice(0, limit).map((v, i) => {
    const prev = rows[i + 1];
    // The version number always changes by one; the diff shows what else did.
    const before =
      prev && prev.version === v.version - 1 ? { ...prev.doc, version: 0 } : { version: 0 };
    return {
      version: v.version,
      actor: v.actor,
      reason: v.reason,
      source: v.source,
      createdAt: new Date(v.createdAt).toISOString(),
      changes: describeChanges(diffJson(before, { ...v.doc, version: 0 })),
    };
  });
  return c.json({ versions });
});

function parseRecord(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { unparsed: text };
  }
}

on(historyRoutes, "/admin", ADMIN_API.decisions, async (c) => {
  const q = parseWith(ADMIN_API.decisions.query, c.req.query());
  const rows = await c.var.db
    .select()
    .from(decisions)
    .where(
      and(
        q.route !== undefined ? eq(decisions.routeId, q.route) : undefined,
        q.action !== undefined ? eq(decisions.action, q.action) : undefined,
      ),
    )
    .orderBy(desc(decisions.at), desc(decisions.id))
    .limit(q.limit);
  return c.json({
    decisions: rows.map((r) => ({ ...r, record: parseRecord(r.record) })),
  });
});
