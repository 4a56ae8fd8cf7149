/** A missing outside tool skips a test outside CI and fails it under CI. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { missingToolError, requireTool, underCi } from "../fixtures/tools";

describe("underCi", () => {
  it.each([
    [undefined, false],
    ["", false],
    ["0", false],
    ["false", false],
    ["FALSE", false],
    ["true", true],
    ["1", true],
    ["yes", true],
  ])("CI=%s → %s", (value, expected) => {
    expect(underCi({ CI: value })).toBe(expected);
  });
});

describe("requireTool", () => {
  afterEach(() => vi.unstubAllEnvs());
  const note = "chromium is not installed at /nowhere/chromium (apt-get install chromium)";

  it("fails under CI, naming the tool", (ctx) => {
    vi.stubEnv("CI", "true");
    expect(() => requireTool(ctx, false, note)).toThrow(/chromium is not installed at \/nowhere/);
    expect(missingToolError(note).message).toMatch(/Under CI a missing tool fails the run/);
  });

  it("skips outside CI with the note", () => {
    vi.stubEnv("CI", "");
    const skipped: string[] = [];
    const ctx = {
      skip: (why: string) => {
        skipped.push(why);
      },
    } as unknown as Parameters<typeof requireTool>[0];
    requireTool(ctx, false, note);
    expect(skipped).toEqual([note]);
  });

  it("does nothing when the tool is there", (ctx) => {
    vi.stubEnv("CI", "true");
    expect(() => requireTool(ctx, true, note)).not.toThrow();
  });
});
