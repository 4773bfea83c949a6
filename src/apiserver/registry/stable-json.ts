/**
 * stableJson: JSON with object keys sorted, to compare objects whose key order differs (e.g. a patched object and
 * its stored form) without a deep-equal walk.
 */

/** stableJson serialises `value` with sorted object keys. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const src = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(src).sort()) out[k] = src[k];
    return out;
  });
}
