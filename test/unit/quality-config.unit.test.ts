import { describe, expect, it } from "vitest";
import { parseRoutingConfig } from "../../contracts/config";
import { makeConfig } from "../fixtures/config";

const route = makeConfig().routes[0]!;
const judge = { name: "judge", kind: "judge", url: "http://127.0.0.1:1", model: "j" };
const mod = { name: "mod", kind: "moderation", url: "http://127.0.0.1:1" };

function errors(doc: Record<string, unknown>): string[] {
  const r = parseRoutingConfig({ version: 1, ...doc });
  return r.ok ? [] : r.errors;
}

describe("evaluation config", () => {
  it("fills defaults: 1% stable, 10% canary, 10 s timeout, 2 retries, 60 per minute, 7 days", () => {
    const r = parseRoutingConfig({
      version: 1,
      evaluators: [mod],
      routes: [{ ...route, evaluation: { evaluators: ["mod"] } }],
    });
    if (!r.ok) throw new Error(r.errors.join("; "));
    expect(r.config.evaluators?.[0]).toMatchObject({
      timeoutMs: 10_000,
      retries: 2,
      maxPerMinute: 60,
    });
    expect(r.config.routes[0]!.evaluation).toEqual({
      sampleRate: { stable: 0.01, canary: 0.1 },
      evaluators: ["mod"],
    });
    expect(r.config.settings.sampleRetentionDays).toBe(7);
  });

  it("names unknown evaluators, duplicates and a shadow without a judge precisely", () => {
    expect(
      errors({
        evaluators: [mod, { ...mod }],
        routes: [
          {
            ...route,
            evaluation: { evaluators: ["mod", "nope"], shadow: { rate: 0.1, maxPerMinute: 5 } },
          },
        ],
      }),
    ).toEqual([
      'evaluators.1.name: duplicate evaluator name "mod"',
      'routes.0.evaluation.evaluators.1: unknown evaluator "nope" (define it in the top-level evaluators)',
      "routes.0.evaluation.shadow: shadow judging needs a judge evaluator in evaluation.evaluators",
    ]);
  });

  it("validates fields: judge model, rates, names, URLs, budgets", () => {
    expect(errors({ evaluators: [{ ...judge, model: undefined }], routes: [route] })).toEqual([
      "evaluators.0.model: a judge evaluator must name its model",
    ]);
    expect(
      errors({
        evaluators: [judge],
        routes: [
          {
            ...route,
            evaluation: {
              sampleRate: { stable: 1.5, canary: 0.1 },
              evaluators: ["judge"],
              shadow: { rate: -1, maxPerMinute: 0 },
            },
          },
        ],
      }),
    ).toEqual([
      "routes.0.evaluation.sampleRate.stable: must be at most 1",
      "routes.0.evaluation.shadow.rate: must be at least 0",
      "routes.0.evaluation.shadow.maxPerMinute: Too small: expected number to be >=1",
    ]);
    expect(errors({ evaluators: [{ ...mod, name: "Bad-Name" }], routes: [route] })[0]).toMatch(
      /^evaluators\.0\.name: must be lower_snake/,
    );
    expect(errors({ evaluators: [{ ...mod, url: "ftp://x" }], routes: [route] })).toEqual([
      "evaluators.0.url: must be an http(s) URL",
    ]);
    expect(errors({ settings: { sampleRetentionDays: 0 }, routes: [route] })[0]).toMatch(
      /^settings\.sampleRetentionDays: /,
    );
  });

  it("accepts a route with shadow judging and a judge", () => {
    expect(
      errors({
        evaluators: [mod, judge],
        routes: [
          {
            ...route,
            evaluation: { evaluators: ["mod", "judge"], shadow: { rate: 0.05, maxPerMinute: 10 } },
          },
        ],
      }),
    ).toEqual([]);
  });
});
