/**
 * Unstructured access: narrow reads of plain-JSON API objects (`KubeObject` fields are `unknown`). Readers never
 * throw; a field of the wrong JSON type reads as absent (the schema layer reports type errors). Writers used by
 * defaulting create intermediate objects on demand.
 */

/** JsonObject is a plain JSON object. */
export type JsonObject = Record<string, unknown>;

/** isObject reports whether v is a plain JSON object (not an array, not null). */
export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** obj returns v when it is an object, else a fresh empty object (for reading only). */
export function obj(v: unknown): JsonObject {
  return isObject(v) ? v : {};
}

/** str returns v when it is a string. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** num returns v when it is a finite number. */
export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** bool returns v when it is a boolean. */
export function bool(v: unknown): boolean | undefined {
  return typeof v === 'boolean' ? v : undefined;
}

/** list returns v when it is an array, else []. */
export function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** objects returns the object elements of an array field (non-objects are skipped). */
export function objects(v: unknown): JsonObject[] {
  return list(v).filter(isObject);
}

/** strings returns the string elements of an array field. */
export function strings(v: unknown): string[] {
  return list(v).filter((x): x is string => typeof x === 'string');
}

/** strMap returns the string-valued entries of a map field. */
export function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj(v))) if (typeof x === 'string') out[k] = x;
  return out;
}

/** path reads a nested field, e.g. path(pod, 'status', 'phase'). */
export function path(v: unknown, ...keys: string[]): unknown {
  let cur = v;
  for (const k of keys) {
    if (!isObject(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

/** child returns parent[key] as an object, creating (or replacing a non-object with) {} when needed. */
export function child(parent: JsonObject, key: string): JsonObject {
  const cur = parent[key];
  if (isObject(cur)) return cur;
  const fresh: JsonObject = {};
  parent[key] = fresh;
  return fresh;
}

/** setDefault sets o[key] = value when the field is absent (undefined or null). */
export function setDefault(o: JsonObject, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null) o[key] = value;
}

/** setDefaultString sets o[key] when it is absent or the empty string (Go zero value). */
export function setDefaultString(o: JsonObject, key: string, value: string): void {
  if (o[key] === undefined || o[key] === null || o[key] === '') o[key] = value;
}
