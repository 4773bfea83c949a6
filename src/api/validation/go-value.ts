/**
 * formatGoValue renders a field error's bad value the way upstream's messages print it (Go's `%q` for strings,
 * `%v` for numbers and booleans, `%#v` for string maps and string slices), so that
 * `Invalid value: map[string]string{"app":"x"}` reads exactly as kubectl users know it. Values with no
 * faithful Go rendering (structs) fall back to JSON. `fieldErrorMessage` prints bad values with it.
 */

function isStringArray(v: unknown[]): v is string[] {
  return v.every((x) => typeof x === 'string');
}

function isStringMap(v: object): v is Record<string, string> {
  return Object.values(v).every((x) => typeof x === 'string');
}

/** formatGoValue renders one bad value. */
export function formatGoValue(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) {
    if (isStringArray(v)) return `[]string{${v.map((s) => JSON.stringify(s)).join(', ')}}`;
    return JSON.stringify(v);
  }
  // An empty object is as likely a struct (a LabelSelector) as a map: leave it as JSON.
  if (typeof v === 'object' && Object.keys(v).length > 0 && isStringMap(v)) {
    // Go prints map keys sorted.
    const keys = Object.keys(v).sort();
    return `map[string]string{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(v[k])}`).join(', ')}}`;
  }
  return JSON.stringify(v);
}
