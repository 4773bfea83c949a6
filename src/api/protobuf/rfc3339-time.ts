/**
 * RFC 3339 text for apimachinery's Time (whole seconds, UTC, "2006-01-02T15:04:05Z") and MicroTime
 * (microseconds, "2006-01-02T15:04:05.000000Z"), converted from and to protobuf {seconds, nanos}.
 */

/** Timestamp is the protobuf form of Time and MicroTime. */
export interface Timestamp {
  readonly seconds: number;
  readonly nanos: number;
}

/** ZERO_TIME_SECONDS is Go's zero time (0001-01-01T00:00:00Z) in Unix seconds; JSON shows it as null. */
export const ZERO_TIME_SECONDS = -62135596800;
const MAX_SECONDS = 253402300799; // 9999-12-31T23:59:59Z

/** formatRfc3339 formats a timestamp, or returns undefined when it is outside years 1..9999. */
export function formatRfc3339(ts: Timestamp, micro: boolean): string | undefined {
  if (ts.seconds < ZERO_TIME_SECONDS || ts.seconds > MAX_SECONDS || ts.nanos < 0 || ts.nanos > 999999999) return undefined;
  const iso = new Date(ts.seconds * 1000).toISOString(); // years 1..9999 render as YYYY
  const base = iso.slice(0, 19);
  if (!micro) return `${base}Z`;
  return `${base}.${String(Math.floor(ts.nanos / 1000)).padStart(6, '0')}Z`;
}

/** parseRfc3339 parses RFC 3339 text (any offset, any fraction) into a timestamp, or returns undefined. */
export function parseRfc3339(text: string): Timestamp | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(ms)) return undefined;
  let seconds = ms / 1000;
  // Date.UTC maps years 0..99 to 1900..1999; correct it.
  if (Number(y) < 100) seconds = new Date(ms).setUTCFullYear(Number(y)) / 1000;
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const offset = (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60;
    seconds -= zone.startsWith('-') ? -offset : offset;
  }
  const nanos = frac === undefined ? 0 : Number(frac.slice(1).padEnd(9, '0'));
  return { seconds, nanos };
}
