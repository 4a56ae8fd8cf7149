/**
 * Decoders for the JSON objects `step_rollups` keeps per row: sketches and
 * per-group coarse bins as `{"<int>": count}`, unit-group sums as
 * `{"<int>": [n, sum]}`. SQLite writes them compact (json_patch,
 * json_group_object), and a step read decodes up to ~10^5 entries, so the
 * common shape is scanned by character code into number pairs directly:
 * `JSON.parse` builds a dictionary-mode object whose string keys then need
 * `Object.entries` and `Number`, which measured 4× slower at 10^6 requests a
 * step (docs/capacity.md). Any other shape (whitespace, escapes, nested
 * values) goes through `JSON.parse`, so both paths give the same result.
 * Pure.
 */
import { packGroupBins, type GroupBins } from "../../contracts/rollup";

const QUOTE = 34;
const COMMA = 44;
const COLON = 58;
const MINUS = 45;
const ZERO = 48;
const NINE = 57;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const DOT = 46;
const PLUS = 43;
const LOWER_E = 101;
const UPPER_E = 69;

/** Thrown inside the scanner when the text is not the compact shape. */
const NOT_COMPACT = Symbol("not compact");

class Scanner {
  i = 0;
  constructor(readonly s: string) {}

  expect(code: number): void {
    if (this.s.charCodeAt(this.i) !== code) throw NOT_COMPACT;
    this.i++;
  }

  peek(): number {
    return this.s.charCodeAt(this.i);
  }

  /** An integer key in quotes: `"-12"`. */
  key(): number {
    const s = this.s;
    this.expect(QUOTE);
    let i = this.i;
    const negative = s.charCodeAt(i) === MINUS;
    if (negative) i++;
    const first = i;
    let v = 0;
    for (let c = s.charCodeAt(i); c >= ZERO && c <= NINE; c = s.charCodeAt(++i))
      v = v * 10 + (c - ZERO);
    // Only canonical integers ("12", "-3"): JSON.parse keeps "012" or "-0" as
    // other keys than 12 or 0, so those take the general path.
    const digits = i - first;
    if (digits === 0 || digits > 15 || s.charCodeAt(i) !== QUOTE) throw NOT_COMPACT;
    if (s.charCodeAt(first) === ZERO && (digits > 1 || negative)) throw NOT_COMPACT;
    this.i = i + 1;
    return negative ? -v : v;
  }

  /** A number: digits read directly, anything else (fraction, exponent) by `Number`. */
  number(): number {
    const s = this.s;
    const start = this.i;
    let i = start;
    if (s.charCodeAt(i) === MINUS) i++;
    let v = 0;
    let digits = 0;
    for (let c = s.charCodeAt(i); c >= ZERO && c <= NINE; c = s.charCodeAt(++i)) {
      v = v * 10 + (c - ZERO);
      digits++;
    }
    if (digits === 0) throw NOT_COMPACT;
    if (digits > 1 && s.charCodeAt(i - digits) === ZERO) throw NOT_COMPACT;
    const c = s.charCodeAt(i);
    if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      this.i = i;
      // Beyond 15 digits the running product may round: let Number decide.
      if (digits > 15) return Number(s.slice(start, i));
      return s.charCodeAt(start) === MINUS ? -v : v;
    }
    // A fraction and/or exponent, checked against JSON's grammar by code
    // (no leading-zero or empty parts), then converted by `Number`.
    let c2 = c;
    if (c2 === DOT) {
      const from = ++i;
      for (c2 = s.charCodeAt(i); c2 >= ZERO && c2 <= NINE; c2 = s.charCodeAt(++i));
      if (i === from) throw NOT_COMPACT;
    }
    if (c2 === LOWER_E || c2 === UPPER_E) {
      c2 = s.charCodeAt(++i);
      if (c2 === PLUS || c2 === MINUS) c2 = s.charCodeAt(++i);
      const from = i;
      for (; c2 >= ZERO && c2 <= NINE; c2 = s.charCodeAt(++i));
      if (i === from) throw NOT_COMPACT;
    }
    if (c2 !== COMMA && c2 !== CLOSE_BRACE && c2 !== CLOSE_BRACKET) throw NOT_COMPACT;
    const out = Number(s.slice(start, i));
    this.i = i;
    return out;
  }

  /** `{`: true when an entry follows, false for `{}`. */
  open(): boolean {
    this.expect(OPEN_BRACE);
    if (this.peek() !== CLOSE_BRACE) return true;
    this.i++;
    this.end();
    return false;
  }

  /** After an entry: true at `,` (another follows), false at the closing `}`. */
  more(): boolean {
    if (this.peek() === COMMA) {
      this.i++;
      return true;
    }
    this.expect(CLOSE_BRACE);
    this.end();
    return false;
  }

  private end(): void {
    if (this.i !== this.s.length) throw NOT_COMPACT;
  }
}

const MAX_INDEX = 2 ** 32 - 2;
const isIndex = (k: number) => k >= 0 && k <= MAX_INDEX && !Object.is(k, -0);

/**
 * Entries as `Object.entries(JSON.parse(json))` gives them: array-index keys
 * ascending, then the others in the order first written, a repeated key with
 * its last value. Sums over the entries then add up in the same order on
 * either path. Already strictly ascending (the common case), this is one pass.
 */
function entryOrder<T extends [number, ...number[]]>(out: T[]): T[] {
  let ascending = true;
  for (let i = 0; i < out.length; i++) {
    const k = out[i]![0];
    if (!isIndex(k) || (i > 0 && k <= out[i - 1]![0])) {
      ascending = false;
      break;
    }
  }
  if (ascending) return out;
  const byKey = new Map<number, T>();
  for (const e of out) byKey.set(e[0], e);
  const all = [...byKey.values()];
  const index = all.filter((e) => isIndex(e[0])).sort((a, b) => a[0] - b[0]);
  return [...index, ...all.filter((e) => !isIndex(e[0]))];
}

function compact<T extends [number, ...number[]]>(
  json: string,
  scan: (s: Scanner) => T[],
  general: () => T[],
): T[] {
  try {
    return entryOrder(scan(new Scanner(json)));
  } catch (e) {
    if (e !== NOT_COMPACT) throw e;
    return general();
  }
}

/**
 * `{"<int>": count}` as [key, count] pairs, in the object's order.
 *
 * @example
 * parseCounts('{"3":2,"-1":5}'); // [[3, 2], [-1, 5]]
 */
export function parseCounts(json: string): Array<[number, number]> {
  return compact(
    json,
    (s) => {
      const out: Array<[number, number]> = [];
      if (s.open())
        do {
          const k = s.key();
          s.expect(COLON);
          out.push([k, s.number()]);
        } while (s.more());
      return out;
    },
    () =>
      Object.entries(JSON.parse(json) as Record<string, number>).map(([k, v]) => [Number(k), v]),
  );
}

/** A copy of `a` in twice the room. */
const doubled = (a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => {
  const out = new Float64Array(2 * a.length);
  out.set(a);
  return out;
};

/**
 * `{"<int>": count}` as parallel keys and counts (`GroupBins`), without a pair
 * per entry: the per-group coarse bins of a step are its largest values
 * (docs/capacity.md). Keys strictly ascending and non-negative (as SQLite
 * writes them) are scanned; anything else takes `parseCounts`.
 *
 * @example
 * parsePackedCounts('{"3":2,"9":5}'); // { keys: [3, 9], counts: [2, 5] }
 */
export function parsePackedCounts(json: string): GroupBins {
  try {
    const s = new Scanner(json);
    let keys = new Float64Array(Math.max(8, json.length >> 3));
    let counts = new Float64Array(keys.length);
    let m = 0;
    let previous = -1;
    if (s.open())
      do {
        const k = s.key();
        s.expect(COLON);
        if (!(k > previous) || !isIndex(k)) throw NOT_COMPACT;
        previous = k;
        if (m === keys.length) {
          keys = doubled(keys);
          counts = doubled(counts);
        }
        keys[m] = k;
        counts[m] = s.number();
        m++;
      } while (s.more());
    return { keys: keys.subarray(0, m), counts: counts.subarray(0, m) };
  } catch (e) {
    if (e !== NOT_COMPACT) throw e;
    return packGroupBins(parseCounts(json));
  }
}

/**
 * `{"<group>": [n, sum]}` as [group, n, sum] triples, in the object's order.
 *
 * @example
 * parseGroupSums('{"7":[2,1.5]}'); // [[7, 2, 1.5]]
 */
export function parseGroupSums(json: string): Array<[number, number, number]> {
  return compact(
    json,
    (s) => {
      const out: Array<[number, number, number]> = [];
      if (s.open())
        do {
          const k = s.key();
          s.expect(COLON);
          s.expect(OPEN_BRACKET);
          const n = s.number();
          s.expect(COMMA);
          const sum = s.number();
          s.expect(CLOSE_BRACKET);
          out.push([k, n, sum]);
        } while (s.more());
      return out;
    },
    () =>
      Object.entries(JSON.parse(json) as Record<string, [number, number]>).map(([g, [n, sum]]) => [
        Number(g),
        n,
        sum,
      ]),
  );
}
