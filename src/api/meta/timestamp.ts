/** API timestamps: RFC 3339 in UTC with second precision, as metav1.Time serialises (`2026-01-01T00:00:00Z`). */

/** formatTimestamp renders milliseconds since the epoch as an API timestamp. */
export function formatTimestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
