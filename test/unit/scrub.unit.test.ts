import { describe, expect, it } from "vitest";
import { SecretScrubber } from "../../worker/proxy/scrub";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Runs `text` through a scrubber in the given chunks and returns what came out. */
function scrub(secrets: string[], text: string, cuts: number[]): string {
  const bytes = enc.encode(text);
  const s = new SecretScrubber(secrets);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.byteLength]) {
    out.push(s.push(bytes.slice(from, cut)));
    from = cut;
  }
  out.push(s.flush());
  return dec.decode(new Uint8Array(out.flatMap((p) => [...p])));
}

/** A seeded xorshift, so failures replay. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe("SecretScrubber", () => {
  const keys = ["sk-stable-origin-0001", "sk-canary-origin-0002"];

  it("masks every key however the bytes are cut, like a replace over the whole text", () => {
    const random = rng(7);
    const pieces = ["data: ", "sk-", "s", "sk-stable", ...keys, "héllo ", "\n\n", "ss", "k-"];
    for (let n = 0; n < 300; n++) {
      let text = "";
      while (text.length < 120) text += pieces[Math.floor(random() * pieces.length)];
      const bytes = enc.encode(text).byteLength;
      const cuts = [...new Set(Array.from({ length: 4 }, () => Math.floor(random() * bytes)))].sort(
        (a, b) => a - b,
      );
      const expected = keys.reduce((t, k) => t.replaceAll(k, "[redacted]"), text);
      expect(scrub(keys, text, cuts)).toBe(expected);
    }
  });

  it("passes a chunk without a key's first byte through as is", () => {
    const s = new SecretScrubber(keys);
    const chunk = enc.encode('data: {"content":"hello"}\n\n');
    expect(s.push(chunk)).toBe(chunk);
  });

  it("holds back only a tail that could start a key", () => {
    const s = new SecretScrubber(keys);
    expect(dec.decode(s.push(enc.encode("key: sk-can")))).toBe("key: ");
    expect(dec.decode(s.push(enc.encode("ary-origin-0002!")))).toBe("[redacted]!");
    expect(dec.decode(s.push(enc.encode("ends sk-x")))).toBe("ends sk-x");
  });

  it("keeps short keys out (they would mask ordinary text)", () => {
    expect(new SecretScrubber(["short"]).active).toBe(false);
  });
});
