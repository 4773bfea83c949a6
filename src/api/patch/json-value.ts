/**
 * JSON values as patches see them: the plain data that `JSON.parse` produces. Every patch function takes and
 * returns these, never class instances, so values can be cloned and compared structurally.
 */

/** JsonValue is any value `JSON.parse` can return. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;

/** JsonObject is a JSON object with string keys. */
export interface JsonObject {
  [key: string]: JsonValue;
}

/** isJsonObject reports whether a value is a JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * jsonDepth returns how deeply a value nests objects and arrays (a scalar is 0, `{}` is 1, `{"a":[]}` is 2).
 * It walks iteratively and stops as soon as the depth exceeds `limit`, so it is safe on hostile input; the
 * returned number is then `limit + 1`.
 */
export function jsonDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    if (typeof top.value !== 'object' || top.value === null) continue;
    const depth = top.depth + 1;
    if (depth > deepest) deepest = depth;
    if (deepest > limit) return limit + 1;
    const children = Array.isArray(top.value) ? top.value : Object.values(top.value);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth });
    }
  }
  return deepest;
}

/** cloneJson returns a deep copy of a JSON value that shares nothing with the input. */
export function cloneJson<T extends JsonValue>(value: T): T {
  return structuredClone(value);
}

/**
 * jsonEqual reports whether two JSON values are structurally equal: same scalars, same array items in the same
 * order, same object keys regardless of order.
 */
export function jsonEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i] as JsonValue));
  }
  const aKeys = Object.keys(a);
  if (aKeys.length !== Object.keys(b).length) return false;
  return aKeys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key] as JsonValue, b[key] as JsonValue));
}

/**
 * setJsonProperty sets an own enumerable property. Plain assignment would treat a `__proto__` key (which
 * `JSON.parse` happily produces) as a prototype change; this stores it as data like any other key.
 */
export function setJsonProperty(object: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__') {
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    object[key] = value;
  }
}

/** getJsonProperty reads an own property only, never one inherited from Object.prototype. */
export function getJsonProperty(object: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}
