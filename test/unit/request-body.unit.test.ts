import { describe, expect, it } from "vitest";
import { RequestFieldsSchema, hasRequestFieldTypes } from "../../worker/proxy/body";

// The hand check runs on every request in place of the schema; the schema only
// names the failing field. They must accept exactly the same bodies.
const FIELDS = [
  "stream",
  "messages",
  "prompt",
  "input",
  "instructions",
  "user",
  "safety_identifier",
  "stream_options",
  "response_format",
] as const;
const VALUES: unknown[] = [
  undefined,
  null,
  true,
  0,
  "text",
  "",
  [],
  [{}],
  [{ role: "user" }, "x"],
  [1, 2],
  [null],
  {},
  { type: "json_object" },
];

describe("hasRequestFieldTypes", () => {
  it("accepts exactly what RequestFieldsSchema accepts, field by field and value by value", () => {
    let accepted = 0;
    for (const field of FIELDS)
      for (const value of VALUES) {
        const body = { model: "m", [field]: value };
        const schema = RequestFieldsSchema.safeParse(body).success;
        expect({ field, value, fast: hasRequestFieldTypes(body) }).toEqual({
          field,
          value,
          fast: schema,
        });
        if (schema) accepted += 1;
      }
    // Both outcomes occur, so the comparison is not vacuous.
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(FIELDS.length * VALUES.length);
  });

  it("agrees on whole requests with several fields", () => {
    const ok = { model: "m", stream: true, messages: [{ role: "user", content: "hi" }], user: "u" };
    const bad = { ...ok, stream_options: "yes" };
    expect(hasRequestFieldTypes(ok)).toBe(true);
    expect(RequestFieldsSchema.safeParse(ok).success).toBe(true);
    expect(hasRequestFieldTypes(bad)).toBe(false);
    expect(RequestFieldsSchema.safeParse(bad).success).toBe(false);
  });
});
