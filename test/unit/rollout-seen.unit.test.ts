/** `rolloutSeenAt`: when the config history first recorded a route's current rollout. */
import { describe, expect, it } from "vitest";
import { RoutingConfigSchema, type RoutingConfig } from "../../contracts/config";
import { rolloutSeenAt, type DatedEntry } from "../../analyzer/history/rollout-seen";
import { HOUR, T0 } from "../fixtures/clock";
import { makeConfig } from "../fixtures/config";

function doc(startedAt: string | null, canaryId = "canary-v2"): RoutingConfig {
  const cfg = RoutingConfigSchema.parse(makeConfig());
  const route = cfg.routes[0]!;
  return {
    ...cfg,
    routes: [
      {
        ...route,
        canary: { ...route.canary!, id: canaryId },
        ...(startedAt
          ? { rollout: { steps: [5, 50, 100], stepIndex: 0, stepStartedAt: startedAt, startedAt } }
          : {}),
      },
    ],
  };
}

const entry = (version: number, d: RoutingConfig, createdAt: number): DatedEntry => ({
  version,
  source: version === 1 ? "seed" : "analyzer",
  doc: d,
  createdAt,
});

describe("rolloutSeenAt", () => {
  const old = "2026-01-01T00:00:00.000Z";

  it("is the first version's time for a seeded rollout with an old date", () => {
    expect(rolloutSeenAt([entry(1, doc(old), T0)], "chat")).toBe(T0);
  });

  it("walks back through versions that keep the same rollout", () => {
    const history = [
      entry(3, doc(old), T0 + 2 * HOUR),
      entry(2, doc(old), T0 + HOUR),
      entry(1, doc(old), T0),
    ];
    expect(rolloutSeenAt(history, "chat")).toBe(T0);
  });

  it("stops at a version with another rollout or another canary", () => {
    const started = new Date(T0 + HOUR).toISOString();
    expect(rolloutSeenAt([entry(2, doc(started), T0 + HOUR), entry(1, doc(old), T0)], "chat")).toBe(
      T0 + HOUR,
    );
    expect(
      rolloutSeenAt([entry(2, doc(old), T0 + HOUR), entry(1, doc(old, "canary-v1"), T0)], "chat"),
    ).toBe(T0 + HOUR);
  });

  it("is undefined without a rollout or an unknown route", () => {
    expect(rolloutSeenAt([entry(1, doc(null), T0)], "chat")).toBeUndefined();
    expect(rolloutSeenAt([entry(1, doc(old), T0)], "nope")).toBeUndefined();
    expect(rolloutSeenAt([], "chat")).toBeUndefined();
  });
});
