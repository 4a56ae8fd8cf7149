import { describe, expect, it } from "vitest";
import { parseRoutingConfig } from "../../contracts/config";
import { makeConfig } from "../fixtures/config";

const route = makeConfig().routes[0]!;

function errorsOf(doc: unknown): string[] {
  const r = parseRoutingConfig(doc);
  return r.ok ? [] : r.errors;
}

describe("routing config validation", () => {
  it("accepts the example and fills defaults", () => {
    const r = parseRoutingConfig(JSON.stringify(makeConfig()));
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.config.routes[0]?.state).toBe("active");
      expect(r.config.settings.maxBodyBytes).toBe(1024 * 1024);
    }
  });

  it("names the field and the problem", () => {
    expect(errorsOf("{not json")[0]).toMatch(/^\(root\): not JSON/);
    expect(errorsOf(makeConfig({ version: 0 }))).toEqual([
      "version: Too small: expected number to be >=1",
    ]);
    expect(errorsOf(makeConfig({ routes: [{ ...route, weight: 101 }] }))).toEqual([
      "routes.0.weight: must be at most 100",
    ]);
    expect(errorsOf(makeConfig({ routes: [{ ...route, weight: 5.001 }] }))).toEqual([
      "routes.0.weight: must have at most 2 decimals",
    ]);
    expect(
      errorsOf(
        makeConfig({ routes: [{ ...route, stable: { ...route.stable, originUrl: "ftp://x" } }] }),
      ),
    ).toEqual(["routes.0.stable.originUrl: must be an http(s) URL"]);
    expect(
      errorsOf(
        makeConfig({
          routes: [{ ...route, stable: { ...route.stable, apiKeySecret: "sk-live-123" } }],
        }),
      ),
    ).toEqual(["routes.0.stable.apiKeySecret: must be an UPPER_SNAKE Worker secret name"]);
    expect(
      errorsOf(
        makeConfig({
          routes: [
            { ...route, segments: [{ name: "de", match: { countries: ["Germany"] }, weight: 0 }] },
          ],
        }),
      ),
    ).toEqual([
      "routes.0.segments.0.match.countries.0: must be an ISO 3166-1 alpha-2 code, e.g. DE",
    ]);
    expect(
      errorsOf(
        makeConfig({ routes: [{ ...route, segments: [{ name: "x", match: {}, weight: 0 }] }] }),
      ),
    ).toEqual(["routes.0.segments.0.match: a segment must match on at least one field"]);
    expect(errorsOf({ ...makeConfig(), extra: 1 })).toEqual(['(root): Unrecognized key: "extra"']);
  });

  it("rejects duplicate route ids, shared aliases and mutated release ids", () => {
    const other = { ...route, id: "chat-2", canary: { ...route.canary!, model: "other-model" } };
    expect(errorsOf(makeConfig({ routes: [route, other] }))).toEqual([
      'routes.1.models.0: model alias "gpt-test" is already served by route "chat"',
      'routes.1.canary.id: release "canary-v2" is immutable but appears with a different origin or model',
    ]);
    expect(errorsOf(makeConfig({ routes: [route, route] }))[0]).toBe(
      'routes.1.id: duplicate route id "chat"',
    );
  });

  it("rejects a canary equal to stable and a step index past the steps", () => {
    expect(errorsOf(makeConfig({ routes: [{ ...route, canary: route.stable }] }))).toEqual([
      "routes.0.canary.id: canary and stable must be different releases",
    ]);
    const rollout = {
      steps: [1, 100],
      stepIndex: 2,
      stepStartedAt: "2026-11-27T00:00:00Z",
      startedAt: "2026-11-27T00:00:00Z",
    };
    expect(errorsOf(makeConfig({ routes: [{ ...route, rollout }] }))).toEqual([
      "routes.0.rollout.stepIndex: must be below the number of steps (2)",
    ]);
  });
});
