/**
 * The in-isolate tally of assignment counts (contracts/assignment-counts.ts).
 * Pure: the edge adds one count per request (and whether it was sampled in
 * for logging) and asks whether the tally is
 * due; when it is, `take` turns it into one queue message and starts over.
 *
 * Workers run no timers between requests, so a tally older than the interval
 * is sent by the next request that finds it due: the worst-case lag is the
 * interval plus the gap to that request, and the last counts of an isolate
 * that goes idle arrive late or never. Either way whole windows of counts are
 * late or lost, each holding both arms as they were assigned, so the share of
 * the counts that arrive is still the assigned share.
 */
import {
  ASSIGNMENTS_KIND,
  assignmentKeyText,
  keyFields,
  MAX_ASSIGNMENT_KEYS,
  type AssignmentCounts,
  type AssignmentKey,
  type AssignmentTuple,
} from "../../contracts/assignment-counts";

export interface TallyLimits {
  /** A tally this old (ms since its first count) is due. */
  intervalMs: number;
  /** A tally with this many keys is due (at most MAX_ASSIGNMENT_KEYS). */
  maxKeys: number;
  /** A tally whose keys' JSON adds up to this many characters is due (queue messages hold 128 KB). */
  maxChars: number;
  /** A tally holding this many requests is due: one lost message loses at most this many. */
  maxCount: number;
}

export const DEFAULT_TALLY_LIMITS: TallyLimits = {
  intervalMs: 10_000,
  maxKeys: 1_000,
  maxChars: 64_000,
  maxCount: 10_000,
};

/**
 * @example
 * const tally = new AssignmentTally("isolate-1");
 * tally.add(key, true, now);
 * if (tally.due(now)) queue.send(tally.take(now));
 */
export class AssignmentTally {
  private counts = new Map<string, { key: AssignmentKey; n: number; logged: number }>();
  private from: number | null = null;
  private total = 0;
  private chars = 0;
  private seq = 0;

  constructor(
    private readonly isolateId: string,
    private readonly limits: TallyLimits = DEFAULT_TALLY_LIMITS,
  ) {
    if (!(limits.maxKeys >= 1 && limits.maxKeys <= MAX_ASSIGNMENT_KEYS))
      throw new Error(`maxKeys must be 1..${MAX_ASSIGNMENT_KEYS}`);
  }

  /** Counts one request, and whether its outcome event is sent (sampled in). */
  add(key: AssignmentKey, logged: boolean, now: number): void {
    const text = assignmentKeyText(key);
    const entry = this.counts.get(text);
    if (entry) {
      entry.n += 1;
      if (logged) entry.logged += 1;
    } else {
      this.counts.set(text, { key, n: 1, logged: logged ? 1 : 0 });
      // The key's tuple on the queue, plus its count.
      this.chars += text.length + 8;
    }
    this.from ??= now;
    this.total += 1;
  }

  /**
   * Whether the tally should be sent now: old enough (`intervalMs`, the
   * limits' by default), or at a bound.
   */
  due(now: number, intervalMs: number = this.limits.intervalMs): boolean {
    if (this.from === null) return false;
    return (
      now - this.from >= intervalMs ||
      this.counts.size >= this.limits.maxKeys ||
      this.chars >= this.limits.maxChars ||
      this.total >= this.limits.maxCount
    );
  }

  /** The tally as one message (null when empty); the tally starts over. */
  take(now: number): AssignmentCounts | null {
    if (this.from === null) return null;
    const counts: AssignmentTuple[] = [];
    for (const { key, n, logged } of this.counts.values())
      counts.push([...keyFields(key), n, logged]);
    this.seq += 1;
    const message: AssignmentCounts = {
      kind: ASSIGNMENTS_KIND,
      v: 1,
      id: `${this.isolateId}:${this.seq}`,
      from: this.from,
      at: now,
      counts,
    };
    this.counts = new Map();
    this.from = null;
    this.total = 0;
    this.chars = 0;
    return message;
  }
}
