/**
 * The step reader's JSON decoders (analyzer/store/counts-json.ts) against the
 * general path they replace, `Object.entries(JSON.parse(json))`: the same
 * entries in the same order for the compact shape SQLite writes, and for
 * every other shape (whitespace, fractions, exponents, repeated or
 * non-canonical keys) through the fallback.
 */
import { describe, expect, it } from "vitest";
import { parseCounts, parseGroupSums, parsePackedCounts } from "../../analyzer/store/counts-json";
import { groupBinEntries } from "../../contracts/rollup";
import { mulberry32 } from "../../analyzer/sim/prng";

const general = (json: string) =>
  Object.entries(JSON.parse(json) as Record<string, number>).map(([k, v]) => [Number(k), v]);
const generalGroups = (json: string) =>
  Object.entries(JSON.parse(json) as Record<string, [number, number]>).map(([g, [n, s]]) => [
    Number(g),
    n,
    s,
  ]);

describe("parseCounts", () => {
  it("decodes the compact shape as JSON.parse does, keys in Object.entries order", () => {
    const rand = mulberry32(11);
    for (let t = 0; t < 500; t++) {
      const entries: string[] = [];
      const size = Math.floor(rand() * 40);
      for (let i = 0; i < size; i++) {
        // Keys as the writers make them: sketch bins (signed) and group-bin keys, in any order, sometimes repeated.
        const key = Math.floor((rand() - 0.3) * 70_000);
        const value = rand() < 0.9 ? Math.floor(rand() * 1e6) : rand() * 1e3;
        entries.push(`"${key}":${value}`);
      }
      const json = `{${entries.join(",")}}`;
      expect(parseCounts(json)).toEqual(general(json));
    }
  });

  it("takes the general path for every other valid shape", () => {
    for (const json of [
      "{}",
      "{ }",
      '{"1": 2}',
      '{"a":1,"2":3}',
      '{"012":1,"12":2}',
      '{"-0":1,"0":2}',
      '{"5":1e3,"4":-2.5E-2}',
      '{"9007199254740993":1}',
      '{"1":12345678901234567890}',
      '{"3":1,"1":2,"3":4,"-1":5,"-2":6,"-1":7}',
    ])
      expect(parseCounts(json), json).toEqual(general(json));
  });

  it("rejects what JSON.parse rejects", () => {
    for (const json of ['{"1":01}', '{"1":1.}', '{"1":}', '{"1":1', "", '{"1":-}'])
      expect(() => parseCounts(json), json).toThrow(SyntaxError);
  });
});

describe("parseGroupSums", () => {
  it("decodes [n, sum] pairs as JSON.parse does", () => {
    const rand = mulberry32(12);
    for (let t = 0; t < 300; t++) {
      const entries: string[] = [];
      for (let g = 0; g < 64; g++)
        if (rand() < 0.7)
          entries.push(`"${g}":[${Math.floor(rand() * 500)},${(rand() * 1e5).toString()}]`);
      if (rand() < 0.3) entries.reverse();
      const json = `{${entries.join(",")}}`;
      expect(parseGroupSums(json)).toEqual(generalGroups(json));
    }
    for (const json of ['{"1":[2,3.5e+20]}', '{"1": [2, 3]}', '{"2":[1,2],"1":[3,4]}'])
      expect(parseGroupSums(json), json).toEqual(generalGroups(json));
  });
});

describe("parsePackedCounts", () => {
  it("gives parseCounts' entries, packed, for ascending keys and every other shape", () => {
    const rand = mulberry32(13);
    for (let t = 0; t < 300; t++) {
      const keys = new Set<number>();
      const size = Math.floor(rand() * 3000);
      for (let i = 0; i < size; i++) keys.add(Math.floor(rand() * 65_536));
      const sorted = [...keys].sort((a, b) => a - b);
      // Mostly as SQLite writes group bins (ascending), sometimes shuffled or repeated.
      if (rand() < 0.2) sorted.reverse();
      if (rand() < 0.1 && sorted.length > 0) sorted.push(sorted[0]!);
      const json = `{${sorted.map((k) => `"${k}":${1 + Math.floor(rand() * 1e5)}`).join(",")}}`;
      expect(groupBinEntries(parsePackedCounts(json))).toEqual(parseCounts(json));
    }
    for (const json of ["{}", '{"1": 2}', '{"-3":1,"2":2}', '{"5":1e3,"4":2.5}'])
      expect(groupBinEntries(parsePackedCounts(json)), json).toEqual(parseCounts(json));
    expect(() => parsePackedCounts('{"1":01}')).toThrow(SyntaxError);
  });
});
