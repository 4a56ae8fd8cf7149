import { describe, expect, it } from "vitest";
import { mergePatch } from "../../worker/admin/merge-patch";
import { makeConfig } from "../fixtures/config";

// RFC 7386, Appendix A: [original, patch, result].
const RFC_EXAMPLES: Array<[unknown, unknown, unknown]> = [
  [{ a: "b" }, { a: "c" }, { a: "c" }],
  [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
  [{ a: "b" }, { a: null }, {}],
  [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
  [{ a: ["b"] }, { a: "c" }, { a: "c" }],
  [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
  [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
  [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
  [
    ["a", "b"],
    ["c", "d"],
    ["c", "d"],
  ],
  [{ a: "b" }, ["c"], ["c"]],
  [{ a: "foo" }, null, null],
  [{ a: "foo" }, "bar", "bar"],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: "b", c: null }, { a: "b" }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

describe("mergePatch", () => {
  it.each(RFC_EXAMPLES)("RFC 7386: %j + %j", (original, patch, result) => {
    expect(mergePatch(original, patch)).toEqual(result);
  });

  it("leaves the target and the patch untouched and shares no objects with them", () => {
    const target = { a: { b: 1 }, keep: { x: 1 } };
    const patch = { a: { c: 2 }, n: { deep: true } };
    const before = JSON.stringify([target, patch]);
    const out = mergePatch(target, patch) as Record<string, Record<string, unknown>>;
    expect(JSON.stringify([target, patch])).toBe(before);
    out.a!.b = 99;
    out.n!.deep = false;
    expect(target.a.b).toBe(1);
    expect(patch.n.deep).toBe(true);
  });

  it("treats __proto__ from JSON as a plain key, never as a prototype", () => {
    const patch = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as unknown;
    const out = mergePatch({}, patch) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect((out as { polluted?: boolean }).polluted).toBeUndefined();
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    expect(Object.keys(out).sort()).toEqual(["__proto__", "a"]);
  });

  it("changes a routing config's settings and replaces its routes array whole", () => {
    const config = makeConfig();
    const out = mergePatch(config, {
      settings: { failover: false },
      routes: [{ id: "only" }],
    }) as Record<string, unknown>;
    expect(out.settings).toEqual({ ...config.settings, failover: false });
    expect(out.routes).toEqual([{ id: "only" }]);
    expect(out.version).toBe(1);
  });
});
