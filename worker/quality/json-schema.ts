/**
 * A small JSON Schema validator for structured-output checks. Workers forbid
 * code generation (`new Function`), which rules out the usual compilers, and
 * structured outputs use a small subset anyway: type, enum, const,
 * properties, required, additionalProperties, items, length and range
 * bounds, anyOf/oneOf/allOf and local `$ref`s. Unknown keywords are ignored
 * (never a false failure). Pure.
 */

type Schema = Record<string, unknown>;
const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const MAX_DEPTH = 64;

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function typeMatches(expected: unknown, value: unknown): boolean {
  const actual = typeOf(value);
  const types = Array.isArray(expected) ? expected : [expected];
  return types.some((t) => t === actual || (t === "number" && actual === "integer"));
}

function resolveRef(root: Schema, ref: string): Schema | null {
  if (!ref.startsWith("#/")) return null;
  let node: unknown = root;
  for (const part of ref.slice(2).split("/")) {
    if (!isObj(node)) return null;
    node = node[part.replaceAll("~1", "/").replaceAll("~0", "~")];
  }
  return isObj(node) ? node : null;
}

/** Problems of `value` against `schema`, as `path: problem` strings (empty when valid). */
export function validateJsonSchema(schema: unknown, value: unknown): string[] {
  if (!isObj(schema)) return [];
  const errors: string[] = [];
  check(schema, schema, value, "$", errors, 0);
  return errors;
}

function check(
  root: Schema,
  schema: Schema,
  value: unknown,
  path: string,
  errors: string[],
  depth: number,
): void {
  if (depth > MAX_DEPTH || errors.length > 20) return;
  if (typeof schema.$ref === "string") {
    const target = resolveRef(root, schema.$ref);
    if (target) check(root, target, value, path, errors, depth + 1);
  }
  if (schema.type !== undefined && !typeMatches(schema.type, value)) {
    errors.push(`${path}: expected ${JSON.stringify(schema.type)}, got ${typeOf(value)}`);
    return;
  }
  if (
    Array.isArray(schema.enum) &&
    !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))
  ) {
    errors.push(`${path}: not one of the allowed values`);
  }
  if ("const" in schema && JSON.stringify(schema.const) !== JSON.stringify(value))
    errors.push(`${path}: must equal the constant`);
  for (const key of ["anyOf", "oneOf"] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0) {
      const ok = options.some((o) => isObj(o) && validateAt(root, o, value, path, depth));
      if (!ok) errors.push(`${path}: matches none of ${key}`);
    }
  }
  if (Array.isArray(schema.allOf))
    for (const s of schema.allOf) if (isObj(s)) check(root, s, value, path, errors, depth + 1);
  if (typeof value === "string") {
    if (typeof schema.minLength === "number" && value.length < schema.minLength)
      errors.push(`${path}: shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === "number" && value.length > schema.maxLength)
      errors.push(`${path}: longer than ${schema.maxLength}`);
  }
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum)
      errors.push(`${path}: below ${schema.minimum}`);
    if (typeof schema.maximum === "number" && value > schema.maximum)
      errors.push(`${path}: above ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === "number" && value.length < schema.minItems)
      errors.push(`${path}: fewer than ${schema.minItems} items`);
    if (typeof schema.maxItems === "number" && value.length > schema.maxItems)
      errors.push(`${path}: more than ${schema.maxItems} items`);
    if (isObj(schema.items))
      value.forEach((v, i) =>
        check(root, schema.items as Schema, v, `${path}[${i}]`, errors, depth + 1),
      );
  }
  if (isObj(value)) checkObject(root, schema, value, path, errors, depth);
}

function checkObject(
  root: Schema,
  schema: Schema,
  value: Record<string, unknown>,
  path: string,
  errors: string[],
  depth: number,
): void {
  const props = isObj(schema.properties) ? schema.properties : {};
  if (Array.isArray(schema.required)) {
    for (const k of schema.required)
      if (typeof k === "string" && !(k in value)) errors.push(`${path}.${k}: required`);
  }
  for (const [k, v] of Object.entries(value)) {
    const sub = props[k];
    if (isObj(sub)) check(root, sub, v, `${path}.${k}`, errors, depth + 1);
    else if (schema.additionalProperties === false) errors.push(`${path}.${k}: not allowed`);
    else if (isObj(schema.additionalProperties))
      check(root, schema.additionalProperties, v, `${path}.${k}`, errors, depth + 1);
  }
}

function validateAt(
  root: Schema,
  schema: Schema,
  value: unknown,
  path: string,
  depth: number,
): boolean {
  const errs: string[] = [];
  check(root, schema, value, path, errs, depth + 1);
  return errs.length === 0;
}
