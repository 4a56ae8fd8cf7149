/**
 * Incremental windows over a `MinuteRollup`: the analyzer's window only grows
 * (to = now) until a step change moves `from`, so merging just the new minutes
 * each tick keeps a long replay linear instead of quadratic. Late events in
 * already-merged minutes, a new `from` or a shrinking `to` rebuild it.
 */
import type { WindowData } from "../window";
import type { MinuteRollup } from "./rollup";
import { SliceSet } from "./rollup";

export class WindowCache {
  private from = Number.NaN;
  private to = Number.NaN;
  private merged = new SliceSet();

  constructor(private readonly rollup: MinuteRollup) {}

  /** The same data as `rollup.window(from, to)`. */
  window(from: number, to: number): WindowData {
    const dirty = this.rollup.takeDirty();
    if (from !== this.from || !(to >= this.to) || dirty < this.to) {
      this.merged = new SliceSet();
      this.from = from;
      this.to = from;
    }
    for (const m of this.rollup.minutesIn(this.to, to)) {
      const set = this.rollup.minute(m);
      if (set) this.merged.merge(set);
    }
    this.to = Math.max(this.to, to);
    return this.merged.toWindow(from, to);
  }
}
