/**
 * Keys of the idempotency ledger (`ingest_keys`): the hour of an event's
 * `ts` and a signed 64-bit integer from the SHA-256 of its request id. The
 * hour leads the primary key, so the ledger is pruned by whole hours with a
 * range delete, and a redelivered event (same `ts`, same id) always finds its
 * key. Two different request ids of one hour share a key with probability
 * about n² / 2^65 per hour: at 1,000 logged events a second (3.6 M an hour)
 * 3.5e-7 an hour, one event in about 300 years taken for a duplicate
 * (docs/idempotent-ingest.md).
 */
import { HOUR_MS } from "../../contracts/storage";

/** `[hour, key]` with the key as decimal text: it does not fit a JS number. */
export type LedgerKey = [hour: number, key: string];

const encoder = new TextEncoder();

/** The ledger key of one event. */
export async function ledgerKey(requestId: string, ts: number): Promise<LedgerKey> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(requestId));
  const key = new DataView(digest).getBigInt64(0);
  return [Math.floor(ts / HOUR_MS), key.toString()];
}

/**
 * Keys as one JSON array text, the integers written out exactly (SQLite's
 * `json_extract` reads them as 64-bit integers).
 *
 * @example keysJson([[493000, "-42"]]) // "[[493000,-42]]"
 */
export function keysJson(keys: readonly LedgerKey[]): string {
  return `[${keys.map(([h, k]) => `[${h},${k}]`).join(",")}]`;
}
