/** Segment exclusion rules and the per-segment sample-ratio check. */
import { describe, expect, it } from "vitest";
import { RouteSchema, type Route } from "../../contracts/config";
import {
  exclusionMatch,
  exclusionRuleName,
  isExcluded,
  withExclusions,
} from "../../analyzer/policy/exclusion";
import { checkSrm } from "../../analyzer/policy/srm-check";
import { DenseBins } from "../../analyzer/replay/dense-bins";
import type { ArmData, Slice, WindowData } from "../../analyzer/window";

function route(segments: Route["segments"] = []): Route {
  return RouteSchema.parse({
    id: "chat",
    models: ["chat"],
    stable: { id: "stable-v1", originUrl: "https://stable.example", model: "m-1" },
    canary: { id: "canary-v2", originUrl: "https://canary.example", model: "m-2" },
    weight: 10,
    segments,
  });
}

describe("exclusion rules", () => {
  const beta = {
    name: "beta-eu",
    match: { cohorts: ["beta"], continents: ["EU" as const] },
    weight: 50,
  };

  it("match a country, a cohort, a request class or a copy of a segment rule", () => {
    const r = route([beta]);
    expect(exclusionMatch(r, "country", "BR")).toEqual({ countries: ["BR"] });
    expect(exclusionMatch(r, "cohort", "internal")).toEqual({ cohorts: ["internal"] });
    expect(exclusionMatch(r, "class", "batch")).toEqual({
      headers: { "x-request-class": ["batch"] },
    });
    expect(exclusionMatch(r, "segment", "beta-eu")).toEqual(beta.match);
  });

  it("cannot express fallback values, unknown segments or the all slice", () => {
    const r = route([beta]);
    expect(exclusionMatch(r, "segment", "default")).toBeNull();
    expect(exclusionMatch(r, "country", "unknown")).toBeNull();
    expect(exclusionMatch(r, "country", "XX1")).toBeNull();
    expect(exclusionMatch(r, "cohort", "none")).toBeNull();
    expect(exclusionMatch(r, "class", "none")).toBeNull();
    expect(exclusionMatch(r, "segment", "gone")).toBeNull();
    expect(exclusionMatch(r, "all", "*")).toBeNull();
  });

  it("get names the config schema accepts", () => {
    expect(exclusionRuleName("class", "long context/v2")).toBe("exclude-class-long_context_v2");
    const name = exclusionRuleName("cohort", "x".repeat(300));
    expect(name).toHaveLength(128);
    const r = withExclusions(route([beta]), [
      { name, match: { cohorts: ["x".repeat(200)] }, weight: 0 },
    ]);
    expect(RouteSchema.safeParse(r).success).toBe(true);
  });

  it("go to the front, replace a rule of the same name and leave the others alone", () => {
    const old = { name: "exclude-country-BR", match: { countries: ["BR"] }, weight: 0 };
    const r = withExclusions(route([beta, old]), [
      { name: "exclude-country-BR", match: { countries: ["BR"] }, weight: 0 },
      { name: "exclude-country-IN", match: { countries: ["IN"] }, weight: 0 },
    ]);
    expect(r.segments.map((s) => s.name)).toEqual([
      "exclude-country-BR",
      "exclude-country-IN",
      "beta-eu",
    ]);
  });

  it("recognise an operator's weight-0 rule for the same slice", () => {
    const operator = { name: "no-canary-in-br", match: { countries: ["BR"] }, weight: 0 };
    expect(isExcluded(route([operator]), "country", "BR")).toBe(true);
    expect(isExcluded(route([{ ...operator, weight: 5 }]), "country", "BR")).toBe(false);
    expect(isExcluded(route([{ ...beta, weight: 0 }]), "segment", "beta-eu")).toBe(true);
  });
});

const arm = (requests: number): ArmData => ({
  metrics: { requests: { n: requests, sum: requests, sumSq: requests } },
  sketches: {},
});
const seg = (value: string, stable: number, canary: number): Slice => ({
  dim: "segment",
  value,
  stable: arm(stable),
  canary: arm(canary),
});
const windowOf = (slices: Slice[]): WindowData => ({ from: 0, to: 60_000, slices });

describe("checkSrm", () => {
  it("tests each segment against its own weight and skips 0 and 100", () => {
    const r = route([
      { name: "beta", match: { cohorts: ["beta"] }, weight: 50 },
      { name: "off", match: { cohorts: ["off"] }, weight: 0 },
      { name: "all-in", match: { cohorts: ["staff"] }, weight: 100 },
    ]);
    const s = checkSrm(
      r,
      windowOf([
        seg("default", 9000, 1000),
        seg("beta", 1000, 1000),
        seg("off", 500, 0),
        seg("all-in", 0, 300),
      ]),
      0.001,
    );
    expect(s.checked).toBe(true);
    expect(s.tests.map((t) => [t.slice, t.expectedShare])).toEqual([
      ["segment=default", 0.1],
      ["segment=beta", 0.5],
    ]);
    expect(s.alpha).toBe(0.0005);
    expect(s.mismatch).toBe(false);
  });

  it("flags a segment whose canary share is off", () => {
    const s = checkSrm(route(), windowOf([seg("default", 8800, 1200)]), 0.001);
    expect(s.mismatch).toBe(true);
    expect(s.tests[0]?.pValue).toBeLessThan(0.001);
  });

  it("falls back to the all slice only when the route has no segment rules", () => {
    const all: Slice = { dim: "all", value: "*", stable: arm(9000), canary: arm(1000) };
    expect(checkSrm(route(), windowOf([all]), 0.001).checked).toBe(true);
    const withRules = route([{ name: "beta", match: { cohorts: ["beta"] }, weight: 50 }]);
    const skipped = checkSrm(withRules, windowOf([all]), 0.001);
    expect(skipped.checked).toBe(false);
    expect(skipped.skipped).toBeDefined();
  });
});

describe("DenseBins", () => {
  it("keeps counts in bin order across growth in both directions", () => {
    const d = new DenseBins();
    const expected = new Map<number, number>();
    for (const bin of [5, -400, 900, 5, 6, -3, 1200, -400]) {
      d.add(bin, 2);
      expected.set(bin, (expected.get(bin) ?? 0) + 2);
    }
    const other = new DenseBins();
    other.add(-1000, 1);
    other.add(5, 1);
    d.merge(other);
    expected.set(-1000, 1);
    expected.set(5, (expected.get(5) ?? 0) + 1);
    expect(d.entries()).toEqual([...expected].sort((a, b) => a[0] - b[0]));
  });
});
