/**
 * The storage vars (contracts/storage.ts) that choose what D1 keeps:
 * which dimensions get per-minute rollup rows.
 */
import { describe, expect, it } from "vitest";
import { storageSettings } from "../../contracts/storage";

const EVERY = ["all", "segment", "country", "cohort", "class"];

describe("MINUTE_ROLLUP_DIMS", () => {
  it("keeps every dimension when unset or empty", () => {
    expect(storageSettings({}).settings.minuteRollupDims).toEqual(EVERY);
    expect(storageSettings({ MINUTE_ROLLUP_DIMS: " " })).toMatchObject({
      ok: true,
      settings: { minuteRollupDims: EVERY },
    });
  });

  it("reads a comma-separated list in the dimensions' order, with `all` always kept", () => {
    const dims = (raw: string) => storageSettings({ MINUTE_ROLLUP_DIMS: raw });
    expect(dims("all")).toMatchObject({ ok: true, settings: { minuteRollupDims: ["all"] } });
    expect(dims("class, country")).toMatchObject({
      ok: true,
      settings: { minuteRollupDims: ["all", "country", "class"] },
    });
    expect(dims("country,country,all,").settings.minuteRollupDims).toEqual(["all", "country"]);
    expect(dims("all,segment,country,cohort,class").settings.minuteRollupDims).toEqual(EVERY);
  });

  it("names an unknown dimension and falls back to every dimension, the other vars unharmed", () => {
    const bad = storageSettings({ MINUTE_ROLLUP_DIMS: "all,countries", OUTCOME_ROWS_HOURS: "0" });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toBe(
      'MINUTE_ROLLUP_DIMS must be a comma-separated list of all, segment, country, cohort, class ("countries" is not a dimension); using the defaults for them',
    );
    expect(bad.settings.minuteRollupDims).toEqual(EVERY);
    expect(bad.settings.rawRowsHours).toBe(0);
    // Names are case-sensitive, as the rollup rows spell them.
    expect(storageSettings({ MINUTE_ROLLUP_DIMS: "All" }).ok).toBe(false);
  });
});
