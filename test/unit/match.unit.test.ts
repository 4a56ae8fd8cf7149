import { describe, expect, it } from "vitest";
import { RoutingConfigSchema } from "../../contracts/config";
import { resolveWeight, segmentMatches, selectRoute } from "../../worker/routing/match";
import { planRequest } from "../../worker/routing/plan";
import { makeConfig, makeFacts } from "../fixtures/config";

const config = RoutingConfigSchema.parse(
  makeConfig({
    routes: [
      {
        id: "chat",
        models: ["gpt-test"],
        stable: { id: "s1", originUrl: "http://127.0.0.1:1", model: "a" },
        canary: { id: "c1", originUrl: "http://127.0.0.1:2", model: "b" },
        weight: 5,
        segments: [
          { name: "no-batch", match: { headers: { "x-request-class": ["batch"] } }, weight: 0 },
          { name: "internal", match: { cohorts: ["internal"] }, weight: 100 },
          { name: "germany-stream", match: { countries: ["DE"], stream: true }, weight: 50 },
          { name: "europe", match: { continents: ["EU"] }, weight: 10 },
        ],
      },
      {
        id: "embed",
        models: ["embed-test"],
        paths: ["/v1/embeddings"],
        stable: { id: "e1", originUrl: "http://127.0.0.1:3", model: "e" },
        weight: 0,
      },
    ],
  }),
);
const chat = config.routes[0]!;

describe("route selection", () => {
  it("selects by model alias and path", () => {
    expect(selectRoute(config, "gpt-test", "/v1/chat/completions")?.id).toBe("chat");
    expect(selectRoute(config, "embed-test", "/v1/embeddings")?.id).toBe("embed");
    expect(selectRoute(config, "embed-test", "/v1/chat/completions")).toBeNull();
    expect(selectRoute(config, "unknown", "/v1/chat/completions")).toBeNull();
  });
});

describe("segment rules", () => {
  it("first match wins, in order", () => {
    const headers: Record<string, string> = { "x-request-class": "batch" };
    const batch = makeFacts({ cohort: "internal", header: (n) => headers[n] ?? null });
    expect(resolveWeight(chat, batch)).toMatchObject({ weight: 0, segment: { name: "no-batch" } });
    expect(resolveWeight(chat, makeFacts({ cohort: "internal" })).weight).toBe(100);
  });

  it("ANDs fields and ORs values within a field", () => {
    expect(resolveWeight(chat, makeFacts({ country: "DE", stream: true })).segment?.name).toBe(
      "germany-stream",
    );
    expect(resolveWeight(chat, makeFacts({ country: "DE", stream: false })).segment?.name).toBe(
      "europe",
    );
    expect(resolveWeight(chat, makeFacts({ country: "US", continent: "NA" }))).toEqual({
      weight: 5,
      segment: null,
    });
  });

  it("does not match a field whose fact is unknown", () => {
    expect(segmentMatches({ countries: ["DE"] }, makeFacts({ country: null }))).toBe(false);
    expect(segmentMatches({ userKeys: ["u1"] }, makeFacts({ userKey: null }))).toBe(false);
    expect(segmentMatches({ userKeys: ["u1"] }, makeFacts({ userKey: "u1" }))).toBe(true);
  });

  it("matches geography by region and colo, and request type by path and model", () => {
    const f = makeFacts({ region: "Bavaria", colo: "MUC" });
    expect(segmentMatches({ regions: ["Bavaria"], colos: ["MUC"] }, f)).toBe(true);
    expect(segmentMatches({ colos: ["FRA"] }, f)).toBe(false);
    expect(segmentMatches({ paths: ["/v1/chat/completions"], models: ["gpt-test"] }, f)).toBe(true);
    expect(segmentMatches({ paths: ["/v1/responses"] }, f)).toBe(false);
  });

  it("sends everything to stable when the route is rolled back or promoted", () => {
    for (const state of ["rolled_back", "promoted"] as const) {
      const plan = planRequest(
        { ...config, routes: [{ ...chat, state }] },
        makeFacts({ cohort: "internal" }),
        0,
      );
      expect(plan.ok && plan.plan.variant).toBe("stable");
    }
  });

  it("keeps routing at the current weights when paused", () => {
    const plan = planRequest(
      { ...config, routes: [{ ...chat, state: "paused" }] },
      makeFacts({ cohort: "internal" }),
      0,
    );
    expect(plan.ok && plan.plan.variant).toBe("canary");
  });

  it("uses the random bucket only for unkeyed requests", () => {
    const low = planRequest(
      config,
      makeFacts({ userKey: null, country: "US", continent: "NA" }),
      0,
    );
    const high = planRequest(
      config,
      makeFacts({ userKey: null, country: "US", continent: "NA" }),
      9999,
    );
    expect(low.ok && low.plan.variant).toBe("canary");
    expect(high.ok && high.plan.variant).toBe("stable");
  });

  it("routes a route without canary to stable", () => {
    const plan = planRequest(config, makeFacts({ model: "embed-test", path: "/v1/embeddings" }), 0);
    expect(plan.ok && plan.plan.release.id).toBe("e1");
  });
});
