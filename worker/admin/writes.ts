/**
 * How admin routes read and write the config: reconcile KV with the history
 * first (so a direct KV edit is recorded, not silently overwritten), then
 * compare-and-set through the config store, then drop this isolate's cached
 * config so the edge routes by the new version at once.
 */
import type { RoutingConfig } from "../../contracts/config";
import type { ConfigVersion, Db, WriteResult } from "../../store/config-store";
import { latestVersion, reconcile } from "../../store/config-store";
import { invalidateConfigCache } from "../config/source";
import { ApiError } from "../errors";
import { validationError } from "./request";

/** The newest version after reconciling KV; 409 `no_config` when there is none. */
export async function loadLatest(db: Db, kv: KVNamespace, now: number): Promise<ConfigVersion> {
  await reconcile(db, kv, now);
  const latest = await latestVersion(db);
  if (!latest)
    throw new ApiError(
      409,
      "conflict_error",
      "no_config",
      "No routing config has been written yet; create one with PUT /admin/config and If-Match: 0.",
    );
  return latest;
}

/** 409 unless the caller's `If-Match` (when given) names the newest version. */
export function checkVersion(expected: number | null, latest: ConfigVersion): void {
  if (expected !== null && expected !== latest.version) throw conflict(latest.version);
}

export function conflict(currentVersion: number): ApiError {
  return new ApiError(
    409,
    "conflict_error",
    "version_conflict",
    `The config changed since you read it; the current version is ${currentVersion}.`,
    { currentVersion },
  );
}

type StoreResult =
  WriteResult | { ok: false; reason: "unchanged" } | { ok: false; reason: "no_config" };

/**
 * The written config, or the store's refusal as an `ApiError`.
 * `unchanged` returns null (nothing was written).
 */
export function settle(r: StoreResult): { version: number; config: RoutingConfig } | null {
  if (r.ok) {
    invalidateConfigCache();
    return { version: r.version, config: r.config };
  }
  switch (r.reason) {
    case "conflict":
      throw conflict(r.currentVersion);
    case "invalid":
      throw validationError(r.errors, "invalid_config");
    case "unchanged":
      return null;
    case "no_config":
      throw new ApiError(
        409,
        "conflict_error",
        "no_config",
        "No routing config has been written yet.",
      );
  }
}
