/**
 * Conversions between JSON values (what the API stores) and CEL values (what @marcbachmann/cel-js evaluates).
 * CEL has distinct `int` and `double` types and the library represents `int` as BigInt: a JSON integer handed to
 * CEL as a JS number would be a `double`, and `self.replicas + 1` would then fail with "no such overload". So
 * integers become BigInt on the way in and numbers again on the way out.
 */

/** JsonSchemaTypeHint says how to read a JSON number: as a CEL int ("integer") or double ("number"). */
export type JsonSchemaTypeHint = (path: readonly (string | number)[]) => 'integer' | 'number' | undefined;

/**
 * toCelValue converts a JSON value for CEL: integral numbers become BigInt (CEL `int`) unless `hint` says the
 * value at that path is a `number` (then it stays a double); objects and arrays are converted deeply (copies).
 */
export function toCelValue(value: unknown, hint?: JsonSchemaTypeHint, path: (string | number)[] = []): unknown {
  if (typeof value === 'number') {
    const wanted = hint?.(path);
    if (wanted === 'number' || !Number.isInteger(value) || !Number.isSafeInteger(value)) return value;
    return BigInt(value);
  }
  if (Array.isArray(value)) return value.map((v, i) => toCelValue(v, hint, [...path, i]));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toCelValue(v, hint, [...path, k]);
    return out;
  }
  return value;
}

/** fromCelValue converts a CEL result back to JSON: BigInt becomes a number; maps and lists are converted deeply. */
export function fromCelValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map((v) => fromCelValue(v));
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) out[String(k)] = fromCelValue(v);
    return out;
  }
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = fromCelValue(v);
    return out;
  }
  return value;
}
