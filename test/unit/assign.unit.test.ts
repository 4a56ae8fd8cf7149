import { describe, expect, it } from "vitest";
import reference from "../reference/murmur3.json";
import { BUCKETS, bucketOf, variantFor } from "../../contracts/assignment";
import { murmur3 } from "../../contracts/murmur3";

describe("murmur3", () => {
  it.each(reference)("matches the reference for %j", ({ input, seed, hash }) => {
    expect(murmur3(input, seed)).toBe(hash);
  });
});

describe("assignment", () => {
  const keys = Array.from({ length: 100_000 }, (_, i) => `user-${i}`);

  it("is sticky: the same key always gets the same bucket", () => {
    for (const key of keys.slice(0, 1000)) {
      expect(bucketOf(key, "chat", "canary-v2")).toBe(bucketOf(key, "chat", "canary-v2"));
    }
  });

  it("ramps monotonically: canary users at w stay canary at every w' > w", () => {
    const weights = [0.01, 1, 5, 10, 25, 50, 99.99, 100];
    const buckets = keys.slice(0, 20_000).map((k) => bucketOf(k, "chat", "canary-v2"));
    for (let i = 0; i < weights.length - 1; i++) {
      const lo = weights[i]!;
      for (const hi of weights.slice(i + 1)) {
        for (const b of buckets) {
          if (variantFor(b, lo) === "canary") expect(variantFor(b, hi)).toBe("canary");
        }
      }
    }
  });

  it.each([1, 5, 10, 25, 50, 0.5])("realizes weight %d%% within ±0.5 pp over 100,000 keys", (w) => {
    const canary = keys.filter((k) => variantFor(bucketOf(k, "chat", "canary-v2"), w) === "canary");
    const share = (canary.length / keys.length) * 100;
    expect(Math.abs(share - w)).toBeLessThanOrEqual(0.5);
  });

  it("sends nobody at 0 and everybody at 100", () => {
    expect(variantFor(0, 0)).toBe("stable");
    expect(variantFor(BUCKETS - 1, 100)).toBe("canary");
  });

  it("reshuffles for a new canary release", () => {
    const inV2 = keys
      .slice(0, 10_000)
      .filter((k) => variantFor(bucketOf(k, "chat", "canary-v2"), 5) === "canary");
    const stillInV3 = inV2.filter(
      (k) => variantFor(bucketOf(k, "chat", "canary-v3"), 5) === "canary",
    );
    // Independent hashing keeps about 5% of the earlier canary users, not all of them.
    expect(stillInV3.length / inV2.length).toBeLessThan(0.2);
  });
});
