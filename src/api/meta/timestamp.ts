/** API timestamps: RFC 3339 in UTC with second precision, as metav1.Time serialises (`2026-01-01T00:00:00Z`). */

/** formatTimestamp renders milliseconds since the epoch as an API timestamp. */
export function formatTimestamp(ms: number): string {
  const second = Math.floor(ms / 1000);
  // Writes come many to a second (every create stamps one): the last second's text is reused.
  if (second !== lastSecond) {
    lastText = new Date(second * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    lastSecond = second;
  }
  return lastText;
}

let lastSecond = Number.NaN;
let lastText = '';
