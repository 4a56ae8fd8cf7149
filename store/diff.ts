/**
 * Differences between two JSON documents as flat `path: before → after`
 * entries, for config history records and the people reading them. Pure.
 */

export interface Change {
  path: string;
  before: unknown;
  after: unknown;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * @example
 * diffJson({ a: 1, b: [1] }, { a: 2, b: [1, 3] });
 * // [{ path: "a", before: 1, after: 2 }, { path: "b.1", before: undefined, after: 3 }]
 */
export function diffJson(before: unknown, after: unknown, path = ""): Change[] {
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => diffJson(before[k], after[k], path ? `${path}.${k}` : k));
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const n = Math.max(before.length, after.length);
    return Array.from({ length: n }, (_, i) =>
      diffJson(before[i], after[i], `${path}.${i}`),
    ).flat();
  }
  return canonicalJson(before) === canonicalJson(after)
    ? []
    : [{ path: path || "(root)", before, after }];
}

/** JSON with object keys sorted, so equal documents have equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    isObj(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  );
}

/** One line per change, e.g. `routes.0.weight: 5 → 10`. */
export function describeChanges(changes: readonly Change[], max = 20): string[] {
  const show = (v: unknown) => (v === undefined ? "(absent)" : JSON.stringify(v));
  const lines = changes.slice(0, max).map((c) => `${c.path}: ${show(c.before)} → ${show(c.after)}`);
  if (changes.length > max) lines.push(`… and ${changes.length - max} more`);
  return lines;
}
