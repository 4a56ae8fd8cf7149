/**
 * Reading Worker secrets. The fixed-name secrets are declared once on `Env`
 * in contracts/env-secrets.d.ts; names that config supplies at run time (a
 * release's or an evaluator's `apiKeySecret`) are read here.
 */

/**
 * The non-empty string secret (or var) called `name`, or null when it is
 * unset, empty or not a string.
 *
 * @example
 * secretNamed(env, release.apiKeySecret) ?? "no key: the origin gets none";
 */
export function secretNamed(env: Env | object, name: string): string | null {
  const value: unknown = Reflect.get(env, name);
  return typeof value === "string" && value.length > 0 ? value : null;
}
