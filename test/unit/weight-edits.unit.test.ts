import { describe, expect, it } from "vitest";
import type { Route, RoutingConfig } from "../../contracts/config";
import { RoutingConfigSchema } from "../../contracts/config";
import { weightEditsWithinStep } from "../../analyzer/history/weight-edits";
import { makeConfig, rolloutRoute } from "../fixtures/config";

function config(over: Partial<Route> = {}): RoutingConfig {
  const cfg = RoutingConfigSchema.parse(makeConfig());
  const segments = [{ name: "de", match: { countries: ["DE"] }, weight: 20 }];
  return { ...cfg, routes: [rolloutRoute({ segments, ...over })] };
}

describe("weightEditsWithinStep", () => {
  it("names routes whose default or segment weights changed within the step", () => {
    const before = config();
    expect(weightEditsWithinStep(before, config({ weight: 2 }))).toEqual([
      { routeId: before.routes[0]!.id, from: "10; de=20", to: "2; de=20" },
    ]);
    const seg = config({ segments: [{ name: "de", match: { countries: ["DE"] }, weight: 0 }] });
    expect(weightEditsWithinStep(before, seg)).toHaveLength(1);
  });

  it("ignores edits that restart the step themselves, other fields, and routes not under an active rollout", () => {
    const before = config();
    const restarted = config({
      weight: 2,
      rollout: { ...before.routes[0]!.rollout!, stepStartedAt: "2026-11-27T11:00:00.000Z" },
    });
    expect(weightEditsWithinStep(before, restarted)).toEqual([]);
    expect(weightEditsWithinStep(before, config({ models: ["other"] }))).toEqual([]);
    expect(weightEditsWithinStep(before, config({ weight: 2, state: "paused" }))).toEqual([]);
    expect(weightEditsWithinStep(before, config({ weight: 2, rollout: undefined }))).toEqual([]);
  });
});
