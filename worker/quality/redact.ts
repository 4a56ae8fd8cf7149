/**
 * Redaction of sampled prompts and answers, at the edge, before anything
 * leaves the request's isolate: the evaluation queue, D1 and the evaluators
 * only ever see the placeholders.
 *
 * Design: over-redaction is cheap (a judge can still score an answer with
 * `[phone]` in it), a leak is not. So the rules lean wide: any run of 7-15
 * digits shaped like a phone number is a phone, any long mixed-case
 * alphanumeric run is a key. Card numbers are Luhn-checked so order numbers
 * of the same length survive. Secrets are replaced first, because keys and
 * tokens contain digit runs the later rules would only partly cover.
 *
 * | placeholder | what                                                                    |
 * | ----------- | ----------------------------------------------------------------------- |
 * | `[api_key]` | `sk-…`, `sk_live_…`, AWS `AKIA…`, GitHub `ghp_…`, Slack `xox…-`, `AIza…`, long mixed-case tokens |
 * | `[token]`   | `Bearer <token>` values, JSON web tokens                                 |
 * | `[secret]`  | the value after `api_key=`, `password:`, `secret=`, `token:` and alike   |
 * | `[email]`   | e-mail addresses                                                         |
 * | `[card]`    | 13-19 digits (spaces or dashes allowed) passing the Luhn check           |
 * | `[phone]`   | 7-15 digits with phone separators (`+`, spaces, dots, dashes, brackets) |
 */

interface Rule {
  pattern: RegExp;
  replace: (match: string, ...groups: string[]) => string;
}

const fixed = (placeholder: string) => () => placeholder;

/** Digits of a string. */
function digitsOf(s: string): string {
  return s.replace(/\D/g, "");
}

/**
 * The Luhn checksum used by payment card numbers.
 *
 * @example
 * luhnValid("4111 1111 1111 1111"); // true
 * luhnValid("4111 1111 1111 1112"); // false
 */
export function luhnValid(number: string): boolean {
  const digits = digitsOf(number);
  if (digits.length < 12) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** ISO dates and d.m.y / m/d/y dates look like phone numbers; keep them. */
const DATE = /^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})$/;

const RULES: Rule[] = [
  // Secrets first: they contain digit runs that the number rules would only partly replace.
  {
    pattern: /\bbearer\s+[A-Za-z0-9._~+/-]{8,}=*/gi,
    replace: fixed("Bearer [token]"),
  },
  {
    pattern: /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g,
    replace: fixed("[token]"),
  },
  {
    pattern: /\bsk-[A-Za-z0-9_-]{8,}/g,
    replace: fixed("[api_key]"),
  },
  {
    pattern:
      /\b(?:[sr]k_(?:live|test)_[A-Za-z0-9]{8,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{30,})/g,
    replace: fixed("[api_key]"),
  },
  {
    pattern:
      /\b(api[_-]?key|apikey|access[_-]?key|secret|token|password|passwd|pwd)(["']?\s*[:=]\s*["']?)([^\s"',;]{6,})/gi,
    replace: (_m, label: string, sep: string) => `${label}${sep}[secret]`,
  },
  {
    // Long random-looking tokens: 32+ characters mixing upper case, lower case and digits.
    pattern: /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{32,}(?![A-Za-z0-9_-])/g,
    replace: (m) => (/[A-Z]/.test(m) && /[a-z]/.test(m) && /\d/.test(m) ? "[api_key]" : m),
  },
  {
    pattern: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g,
    replace: fixed("[email]"),
  },
  {
    pattern: /(?<![\w+])\d(?:[ -]?\d){12,18}(?!\w)/g,
    replace: (m) => (luhnValid(m) ? "[card]" : m),
  },
  {
    pattern:
      /(?<![\w+])(?:\+\d[\d\s().-]{5,}\d|\(\d{1,5}\)[\s.-]?\d[\d\s.-]{4,}\d|\d{2,5}(?:[\s.-]\d{2,10}){1,4}|\d{7,15})(?!\w)/g,
    replace: (m) => {
      const n = digitsOf(m).length;
      return n >= 7 && n <= 15 && !DATE.test(m) ? "[phone]" : m;
    },
  },
];

/**
 * Replaces e-mail addresses, phone numbers, card numbers, API keys, bearer
 * tokens and labelled secrets with placeholders.
 *
 * @example
 * redact("Mail jane@example.com or call +49 30 1234567, key sk-abc123def456ghi789");
 * // "Mail [email] or call [phone], key [api_key]"
 */
export function redact(text: string): string {
  let out = text;
  for (const rule of RULES) {
    out = out.replace(rule.pattern, (...args: unknown[]) => {
      const match = args[0] as string;
      const groups = args.slice(1).filter((a): a is string => typeof a === "string");
      return rule.replace(match, ...groups);
    });
  }
  return out;
}

/**
 * Cuts text to at most `max` characters on a whitespace boundary, keeping the
 * start (`head`) or the end (`tail`), so no token is split in half (a half
 * key or number could slip past the rules).
 *
 * @example
 * cutOnWhitespace("one two three", 9, "head"); // "one two"
 * cutOnWhitespace("one two three", 9, "tail"); // "three"
 */
export function cutOnWhitespace(text: string, max: number, keep: "head" | "tail"): string {
  if (text.length <= max) return text;
  if (keep === "head") {
    const cut = text.slice(0, max + 1);
    const at = cut.search(/\s\S*$/);
    return (at > 0 ? cut.slice(0, at) : "").trimEnd();
  }
  const cut = text.slice(text.length - max - 1);
  const at = cut.search(/\s/);
  return (at >= 0 ? cut.slice(at) : "").trimStart();
}

/**
 * Redacts and caps one text for a sample: cut generously on whitespace
 * first (bounding the regex work on huge prompts), redact, then cut to `max`.
 *
 * @example
 * redactForSample("call 555-123-4567 now", 100); // "call [phone] now"
 */
export function redactForSample(text: string, max: number, keep: "head" | "tail" = "head"): string {
  return cutOnWhitespace(redact(cutOnWhitespace(text, max * 4, keep)), max, keep);
}
