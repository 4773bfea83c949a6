/**
 * semanticJson: a canonical JSON text of an API value for semantic comparison (upstream's `equality.Semantic`):
 * object keys sorted and null-valued fields left out, so values that mean the same — whatever their key order, and
 * `creationTimestamp: null` or no creationTimestamp — give the same text. Controllers compare desired and observed
 * state with it, and hash pod templates with it.
 */

/** semanticJson renders `value` canonically (see the module comment). */
export function semanticJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : semanticJson(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${semanticJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
