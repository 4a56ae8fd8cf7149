/** `secretNamed`: a Worker secret read by a name that config supplies. */
import { describe, expect, it } from "vitest";
import { secretNamed } from "../../contracts/secrets";

describe("secretNamed", () => {
  const env = { STABLE_API_KEY: "sk-1", EMPTY: "", COUNT: 3, DB: { prepare() {} } };

  it("returns a set, non-empty string secret", () => {
    expect(secretNamed(env, "STABLE_API_KEY")).toBe("sk-1");
  });

  it.each(["MISSING", "EMPTY", "COUNT", "DB", "toString", "constructor"])(
    "returns null for %s (unset, empty, not a string, or inherited)",
    (name) => {
      expect(secretNamed(env, name)).toBeNull();
    },
  );
});
