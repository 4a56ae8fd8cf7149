import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../analyzer/sim/prng";
import { cutOnWhitespace, luhnValid, redact, redactForSample } from "../../worker/quality/redact";

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const digits = (r: () => number, n: number) =>
  Array.from({ length: n }, () => Math.floor(r() * 10)).join("");
const alnum = (r: () => number, n: number) =>
  Array.from({ length: n }, () =>
    pick(r, [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"]),
  ).join("");

function email(r: () => number): string {
  const user = pick(r, ["jane.doe", "j_smith+tag", "max.mustermann", "a", "ops-team", "x9"]);
  const host = pick(r, ["example.com", "mail.example.co.uk", "corp.internal.io", "gmx.de"]);
  return `${user}${digits(r, 2)}@${host}`;
}

function phone(r: () => number): string {
  return pick(r, [
    () => `+49 30 ${digits(r, 7)}`,
    () => `+1 (${digits(r, 3)}) ${digits(r, 3)}-${digits(r, 4)}`,
    () => `${digits(r, 3)}-${digits(r, 3)}-${digits(r, 4)}`,
    () => `${digits(r, 3)}.${digits(r, 3)}.${digits(r, 4)}`,
    () => `(0${digits(r, 2)}) ${digits(r, 7)}`,
    () => `+44 20 ${digits(r, 4)} ${digits(r, 4)}`,
    () => `0${digits(r, 3)} ${digits(r, 8)}`,
    () => `+33${digits(r, 9)}`,
  ])();
}

function apiKey(r: () => number): string {
  return pick(r, [
    () => `sk-${alnum(r, 48)}`,
    () => `sk-proj-${alnum(r, 40)}`,
    () => `sk-ant-api03-${alnum(r, 32)}`,
    () => `sk-${alnum(r, 20)}`,
  ])();
}

/** A valid card number: random digits with a Luhn check digit. */
function card(r: () => number): string {
  const body = `4${digits(r, 14)}`;
  for (let d = 0; d < 10; d++) {
    if (luhnValid(body + d)) {
      const n = body + d;
      return r() < 0.5 ? n : n.replace(/(\d{4})(?=\d)/g, "$1 ");
    }
  }
  throw new Error("unreachable");
}

const FILLER = [
  "Please summarise this thread.",
  "Contact me at",
  "or on",
  "my key is",
  "thanks!",
  "The meeting is on 2026-11-27 at 10:30.",
];

describe("redact", () => {
  it("never lets a seeded email, phone number, API key or card number through (500 texts)", () => {
    const r = mulberry32(20261127);
    for (let i = 0; i < 500; i++) {
      const secrets = [email(r), phone(r), apiKey(r), card(r)];
      const text = [
        pick(r, FILLER),
        secrets[0],
        pick(r, FILLER),
        secrets[1],
        pick(r, FILLER),
        secrets[2],
        "card",
        secrets[3],
      ].join(" ");
      const out = redact(text);
      for (const s of secrets) expect(out, text).not.toContain(s!);
      // The digits of a phone or card number do not survive in any spacing.
      const outDigits = out.replace(/\D/g, "");
      for (const s of [secrets[1]!, secrets[3]!]) {
        expect(outDigits, text).not.toContain(s.replace(/\D/g, ""));
      }
      expect(out).not.toMatch(/sk-[A-Za-z0-9]/);
      expect(out).not.toMatch(/@/);
    }
  });

  it("replaces each kind with its placeholder", () => {
    expect(redact("Mail jane@example.com now")).toBe("Mail [email] now");
    expect(redact("call +49 30 1234567 today")).toBe("call [phone] today");
    expect(redact("use sk-abc123def456ghi789jkl")).toBe("use [api_key]");
    expect(redact("Authorization: Bearer abc.def-ghi_jkl123")).toBe(
      "Authorization: Bearer [token]",
    );
    expect(redact("card 4111 1111 1111 1111 ok")).toBe("card [card] ok");
    expect(redact("api_key=hunter22secret")).toBe("api_key=[secret]");
    expect(redact('"password": "correct horse"')).toBe('"password": "[secret] horse"');
    expect(redact("AKIAIOSFODNN7EXAMPLE")).toBe("[api_key]");
    expect(redact("ghp_0123456789abcdefghijABCDEFGHIJ")).toBe("[api_key]");
    expect(redact("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlX2hlcmU")).toBe(
      "jwt [token]",
    );
  });

  it("keeps ordinary text, dates, short numbers and numbers failing the Luhn check as cards", () => {
    const text = "On 2026-11-27 we sold 42 units for 1999 EUR, order 4111 1111 1111 1112 3.";
    expect(redact("On 2026-11-27 we sold 42 units for 1999 EUR.")).toBe(
      "On 2026-11-27 we sold 42 units for 1999 EUR.",
    );
    // 17 digits that fail Luhn are neither a card nor a phone (too long): kept.
    expect(redact(text)).toBe(text);
    expect(redact("A task-management tool")).toBe("A task-management tool");
    expect(redact("version 1.2.3 of the SDK")).toBe("version 1.2.3 of the SDK");
  });

  it("checks card numbers with Luhn", () => {
    expect(luhnValid("4111111111111111")).toBe(true);
    expect(luhnValid("5500-0000-0000-0004")).toBe(true);
    expect(luhnValid("4111111111111112")).toBe(false);
    expect(luhnValid("12")).toBe(false);
  });
});

describe("cutting and capping", () => {
  it("cuts on whitespace so no token is split", () => {
    expect(cutOnWhitespace("one two three", 9, "head")).toBe("one two");
    expect(cutOnWhitespace("one two three", 9, "tail")).toBe("two three");
    expect(cutOnWhitespace("one two three", 8, "tail")).toBe("three");
    expect(cutOnWhitespace("short", 9, "head")).toBe("short");
    expect(cutOnWhitespace("averyveryverylongword", 9, "head")).toBe("");
  });

  it("redacts before capping, so a secret at the cut is not left half visible", () => {
    const key = `sk-${"a1B2".repeat(12)}`;
    const text = `${"word ".repeat(30)}${key} tail`;
    const out = redactForSample(text, 160);
    expect(out.length).toBeLessThanOrEqual(160);
    expect(out).toContain("[api_key]");
    expect(out).not.toContain("a1B2");
    const cut = redactForSample(`${"word ".repeat(30)}${key}`, 152);
    expect(cut).not.toMatch(/sk-|a1B2/);
  });

  it("bounds the work on huge inputs and keeps the requested end", () => {
    const huge = `${"x ".repeat(100_000)}end jane@example.com`;
    const out = redactForSample(huge, 100, "tail");
    expect(out.endsWith("end [email]")).toBe(true);
    expect(out.length).toBeLessThanOrEqual(100);
  });
});
