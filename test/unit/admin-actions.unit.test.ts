import { describe, expect, it } from "vitest";
import type { Route } from "../../contracts/config";
import { RoutingConfigSchema } from "../../contracts/config";
import { applyAction, withRoute } from "../../worker/admin/actions";
import { HOUR, T0 } from "../fixtures/clock";
import { makeConfig, ROLLOUT_STARTED, rolloutRoute } from "../fixtures/config";

const NOW = T0 + 2 * HOUR;

const STARTED = ROLLOUT_STARTED;

function config() {
  const cfg = RoutingConfigSchema.parse(makeConfig());
  return { ...cfg, routes: [rolloutRoute()] };
}

function route(over: Partial<Route> = {}): Route {
  return {
    ...config().routes[0]!,
    segments: [
      { name: "de", match: { countries: ["DE"] }, weight: 20 },
      { name: "batch", match: { headers: { "x-request-class": ["batch"] } }, weight: 0 },
    ],
    ...over,
  };
}

describe("applyAction", () => {
  it("sets the default weight, or one segment's weight and nothing else", () => {
    expect(applyAction(route(), { kind: "weight", weight: 25 }, NOW)).toMatchObject({
      ok: true,
      route: { weight: 25, segments: [{ weight: 20 }, { weight: 0 }] },
    });
    const r = applyAction(route(), { kind: "weight", weight: 50, segment: "batch" }, NOW);
    expect(r).toMatchObject({ ok: true, route: { weight: 10 } });
    expect(r.ok && r.route.segments.map((s) => s.weight)).toEqual([20, 50]);
  });

  it("restarts the rollout step on a new weight, so the analyzer never pools two weights", () => {
    const r = applyAction(route(), { kind: "weight", weight: 25 }, NOW);
    expect(r.ok && r.route.rollout).toMatchObject({
      stepIndex: 0,
      startedAt: STARTED,
      stepStartedAt: new Date(NOW).toISOString(),
    });
    const seg = applyAction(route(), { kind: "weight", weight: 5, segment: "de" }, NOW);
    expect(seg.ok && seg.route.rollout?.stepStartedAt).toBe(new Date(NOW).toISOString());
  });

  it("names a missing segment and reports an unchanged weight", () => {
    expect(applyAction(route(), { kind: "weight", weight: 5, segment: "fr" }, NOW)).toEqual({
      ok: false,
      reason: "segment_not_found",
      segment: "fr",
    });
    expect(applyAction(route(), { kind: "weight", weight: 10 }, NOW)).toEqual({
      ok: false,
      reason: "unchanged",
    });
  });

  it("pauses only active routes and resumes only paused ones", () => {
    expect(applyAction(route(), { kind: "pause" }, NOW)).toMatchObject({
      ok: true,
      route: { state: "paused", weight: 10 },
    });
    expect(applyAction(route({ state: "paused" }), { kind: "pause" }, NOW)).toEqual({
      ok: false,
      reason: "unchanged",
    });
    expect(applyAction(route({ state: "rolled_back" }), { kind: "pause" }, NOW)).toMatchObject({
      ok: false,
      reason: "invalid_state",
      state: "rolled_back",
    });
    expect(applyAction(route({ state: "paused" }), { kind: "resume" }, NOW)).toMatchObject({
      ok: true,
      route: { state: "active" },
    });
    expect(applyAction(route({ state: "promoted" }), { kind: "resume" }, NOW)).toMatchObject({
      ok: false,
      reason: "invalid_state",
    });
  });

  it("promotes the canary to stable and drops the rollout", () => {
    const r = applyAction(route(), { kind: "promote" }, NOW);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.route.stable.id).toBe("canary-v2");
    expect(r.route.canary).toBeUndefined();
    expect(r.route.rollout).toBeUndefined();
    expect(r.route).toMatchObject({ state: "promoted", weight: 0 });
    expect(applyAction(r.route, { kind: "promote" }, NOW)).toEqual({
      ok: false,
      reason: "no_canary",
    });
  });

  it("rolls back keeping segments, refuses without a canary, and is idempotent", () => {
    const r = applyAction(route(), { kind: "rollback" }, NOW);
    expect(r).toMatchObject({ ok: true, route: { state: "rolled_back", weight: 0 } });
    expect(r.ok && r.route.segments.map((s) => s.weight)).toEqual([20, 0]);
    expect(r.ok && applyAction(r.route, { kind: "rollback" }, NOW)).toEqual({
      ok: false,
      reason: "unchanged",
    });
    expect(applyAction(route({ canary: undefined }), { kind: "rollback" }, NOW)).toEqual({
      ok: false,
      reason: "no_canary",
    });
  });

  it("starts a new release at step 0 with a fresh rollout clock", () => {
    const canary = { id: "canary-v3", originUrl: "http://127.0.0.1:9/v3", model: "c" };
    const r = applyAction(
      route({ state: "rolled_back", weight: 0 }),
      { kind: "release", canary, steps: [2, 20, 100], weight: 2 },
      NOW,
    );
    expect(r).toMatchObject({
      ok: true,
      route: {
        canary,
        state: "active",
        weight: 2,
        rollout: {
          steps: [2, 20, 100],
          stepIndex: 0,
          stepStartedAt: new Date(NOW).toISOString(),
          startedAt: new Date(NOW).toISOString(),
        },
      },
    });
  });

  it("replaces only the named route", () => {
    const cfg = config();
    const two = { ...cfg, routes: [cfg.routes[0]!, { ...cfg.routes[0]!, id: "other" }] };
    const out = withRoute(two, { ...two.routes[0]!, weight: 33 });
    expect(out.routes.map((r) => [r.id, r.weight])).toEqual([
      ["chat", 33],
      ["other", 10],
    ]);
  });
});
