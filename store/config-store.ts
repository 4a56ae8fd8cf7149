/**
 * The routing config's writers all go through here: the admin API, the
 * analyzer, and (detected after the fact) operators editing KV directly.
 *
 * KV is last-write-wins and eventually consistent, so it cannot serialize
 * writers. D1 does: `config_versions` holds every version, and writing version
 * N+1 is an INSERT that fails when N+1 exists. Only after that row commits does
 * the document go to KV. A writer holding a stale version is refused and
 * told the current one. See docs/config-writes.md.
 */
import { desc, eq, inArray } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import type { Release, RoutingConfig } from "../contracts/config";
import { parseRoutingConfig } from "../contracts/config";
import { configVersions, releases } from "../contracts/db/schema";
import { ROUTING_CONFIG_KEY } from "../contracts/kv-keys";
import { canonicalJson, describeChanges, diffJson } from "./diff";

/** One config version as the history keeps it (newest first in lists). */
export interface HistoryEntry {
  version: number;
  source: string;
  doc: RoutingConfig;
}

export type Db = DrizzleD1Database<Record<string, never>>;
export type ConfigSource = "seed" | "admin" | "analyzer" | "kv-direct";

export interface ConfigVersion extends HistoryEntry {
  actor: string;
  reason: string;
  createdAt: number;
}

export interface WriteRequest {
  /** The version the writer read and changed. */
  expectedVersion: number;
  /** The new document (its `version` is set by the store). */
  config: Omit<RoutingConfig, "version"> & { version?: number };
  actor: string;
  reason: string;
  source: ConfigSource;
  now: number;
}

export type WriteResult =
  | { ok: true; version: number; config: RoutingConfig; kvWritten: boolean }
  | { ok: false; reason: "conflict"; currentVersion: number }
  | { ok: false; reason: "invalid"; errors: string[] };

function toVersion(row: typeof configVersions.$inferSelect): ConfigVersion {
  const parsed = parseRoutingConfig(row.doc);
  if (!parsed.ok)
    throw new Error(`config_versions row ${row.version} is invalid: ${parsed.errors.join("; ")}`);
  return { ...row, doc: parsed.config };
}

/** The newest stored version, or null before the first write. */
export async function latestVersion(db: Db): Promise<ConfigVersion | null> {
  const rows = await db
    .select()
    .from(configVersions)
    .orderBy(desc(configVersions.version))
    .limit(1);
  return rows[0] ? toVersion(rows[0]) : null;
}

/** The newest `limit` versions, newest first. */
export async function recentVersions(db: Db, limit: number): Promise<ConfigVersion[]> {
  const rows = await db
    .select()
    .from(configVersions)
    .orderBy(desc(configVersions.version))
    .limit(limit);
  return rows.map(toVersion);
}

function releasesOf(config: RoutingConfig): Release[] {
  return config.routes.flatMap((r) => (r.canary ? [r.stable, r.canary] : [r.stable]));
}

/** Release ids whose origin or model differ from what they meant before. */
async function changedReleases(db: Db, config: RoutingConfig): Promise<string[]> {
  const rels = releasesOf(config);
  if (rels.length === 0) return [];
  const known = await db
    .select()
    .from(releases)
    .where(inArray(releases.id, [...new Set(rels.map((r) => r.id))]));
  const byId = new Map(known.map((k) => [k.id, k]));
  return rels
    .filter((r) => {
      const k = byId.get(r.id);
      return k !== undefined && (k.originUrl !== r.originUrl || k.model !== r.model);
    })
    .map(
      (r) =>
        `release "${r.id}" is immutable: it already means ${byId.get(r.id)!.originUrl} model ${byId.get(r.id)!.model}`,
    );
}

/** Splits rows so each statement stays under D1's 100 bound parameters. */
function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function isUniqueViolation(e: unknown): boolean {
  return /UNIQUE constraint failed|SQLITE_CONSTRAINT/i.test(
    String((e as Error)?.message ?? e) + String((e as { cause?: unknown })?.cause ?? ""),
  );
}

/**
 * Writes version `expectedVersion + 1`, or refuses. KV is written only after
 * the version row commits.
 *
 * @example
 * const r = await writeConfig(db, env.CONFIG, { expectedVersion: 7, config, actor: "alice",
 *   reason: "hold DE at 0", source: "admin", now: Date.now() });
 * if (!r.ok && r.reason === "conflict") return c.json({ currentVersion: r.currentVersion }, 409);
 */
export async function writeConfig(
  db: Db,
  kv: KVNamespace,
  req: WriteRequest,
): Promise<WriteResult> {
  const version = req.expectedVersion + 1;
  const parsed = parseRoutingConfig({ ...req.config, version });
  if (!parsed.ok) return { ok: false, reason: "invalid", errors: parsed.errors };
  const config = parsed.config;
  const immutability = await changedReleases(db, config);
  if (immutability.length > 0) return { ok: false, reason: "invalid", errors: immutability };
  const latest = await latestVersion(db);
  if ((latest?.version ?? 0) !== req.expectedVersion && latest !== null) {
    return { ok: false, reason: "conflict", currentVersion: latest.version };
  }
  try {
    await db.batch([
      db.insert(configVersions).values({
        version,
        doc: JSON.stringify(config),
        actor: req.actor,
        reason: req.reason,
        source: req.source,
        createdAt: req.now,
      }),
      ...chunks(releasesOf(config), 20).map((part) =>
        db
          .insert(releases)
          .values(
            part.map((r) => ({
              id: r.id,
              originUrl: r.originUrl,
              model: r.model,
              firstVersion: version,
            })),
          )
          .onConflictDoNothing(),
      ),
    ]);
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    const current = await latestVersion(db);
    return { ok: false, reason: "conflict", currentVersion: current?.version ?? version };
  }
  return { ok: true, version, config, kvWritten: await putKv(kv, config) };
}

async function putKv(kv: KVNamespace, config: RoutingConfig): Promise<boolean> {
  try {
    await kv.put(ROUTING_CONFIG_KEY, JSON.stringify(config, null, 2));
    return true;
  } catch (e) {
    // The version row is the truth; the next reconcile puts it into KV.
    console.error(
      JSON.stringify({
        msg: "config KV write failed; reconcile will retry",
        version: config.version,
        error: String(e),
      }),
    );
    return false;
  }
}

/**
 * Applies `mutate` to the newest version and writes it, re-reading and
 * re-applying on conflict. For changes that must win over concurrent writers
 * (rollbacks): a rollback re-applied to a newer promotion still rolls back.
 */
export async function writeWithRetry(
  db: Db,
  kv: KVNamespace,
  mutate: (current: RoutingConfig) => RoutingConfig | null,
  meta: Pick<WriteRequest, "actor" | "reason" | "source" | "now">,
  attempts = 5,
): Promise<WriteResult | { ok: false; reason: "unchanged" } | { ok: false; reason: "no_config" }> {
  for (let i = 0; i < attempts; i++) {
    const latest = await latestVersion(db);
    if (!latest) return { ok: false, reason: "no_config" };
    const next = mutate(latest.doc);
    if (!next) return { ok: false, reason: "unchanged" };
    const r = await writeConfig(db, kv, { ...meta, expectedVersion: latest.version, config: next });
    if (r.ok || r.reason !== "conflict") return r;
  }
  const current = await latestVersion(db);
  return { ok: false, reason: "conflict", currentVersion: current?.version ?? 0 };
}

export type ReconcileResult =
  | { status: "in_sync"; version: number }
  | { status: "empty" }
  | { status: "seeded"; version: number }
  | { status: "repaired"; version: number; kvVersion: number | null }
  | { status: "direct_edit"; version: number; changes: string[] }
  | { status: "invalid_kv"; version: number | null; errors: string[] };

/**
 * Brings KV and the version history into agreement before anyone decides:
 * - KV matches the newest version: nothing to do;
 * - no history yet: KV's document becomes the first version (source `seed`);
 * - KV holds an older stored version (a lost KV write): the newest is put back;
 * - KV holds a document that is in no version: an operator edited KV directly;
 *   it is recorded as a new version (source `kv-direct`, with its diff) and
 *   respected;
 * - KV holds an invalid document: reported; the edge keeps its last valid one.
 */
export async function reconcile(db: Db, kv: KVNamespace, now: number): Promise<ReconcileResult> {
  const raw = await kv.get(ROUTING_CONFIG_KEY);
  const latest = await latestVersion(db);
  if (raw === null) {
    if (!latest) return { status: "empty" };
    await putKv(kv, latest.doc);
    return { status: "repaired", version: latest.version, kvVersion: null };
  }
  const parsed = parseRoutingConfig(raw);
  if (!parsed.ok)
    return { status: "invalid_kv", version: latest?.version ?? null, errors: parsed.errors };
  const kvDoc = parsed.config;
  if (!latest) {
    const r = await writeConfig(db, kv, {
      expectedVersion: kvDoc.version - 1,
      config: kvDoc,
      actor: "kv",
      reason: "initial config found in KV",
      source: "seed",
      now,
    });
    if (!r.ok) {
      return {
        status: "invalid_kv",
        version: null,
        errors: r.reason === "invalid" ? r.errors : ["concurrent seed"],
      };
    }
    return { status: "seeded", version: r.version };
  }
  if (canonicalJson(kvDoc) === canonicalJson(latest.doc))
    return { status: "in_sync", version: latest.version };
  const older = kvDoc.version < latest.version ? await versionDoc(db, kvDoc.version) : null;
  if (older && canonicalJson(older) === canonicalJson(kvDoc)) {
    await putKv(kv, latest.doc);
    return { status: "repaired", version: latest.version, kvVersion: kvDoc.version };
  }
  const changes = describeChanges(
    diffJson({ ...latest.doc, version: 0 }, { ...kvDoc, version: 0 }),
  );
  const r = await writeConfig(db, kv, {
    expectedVersion: latest.version,
    config: kvDoc,
    actor: "kv",
    reason: `direct KV edit detected (document said version ${kvDoc.version})`,
    source: "kv-direct",
    now,
  });
  if (!r.ok) {
    return {
      status: "invalid_kv",
      version: latest.version,
      errors:
        r.reason === "invalid" ? r.errors : [`concurrent write (now version ${r.currentVersion})`],
    };
  }
  return { status: "direct_edit", version: r.version, changes };
}

async function versionDoc(db: Db, version: number): Promise<RoutingConfig | null> {
  const rows = await db
    .select()
    .from(configVersions)
    .where(eq(configVersions.version, version))
    .limit(1);
  return rows[0] ? toVersion(rows[0]).doc : null;
}
