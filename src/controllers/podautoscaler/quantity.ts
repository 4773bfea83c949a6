/**
 * Milli-unit quantities, as upstream's HPA computes: metric values are int64 milli-units (`500m` CPU = 500,
 * `7` requests per second = 7000) and the status shows them as canonical decimal quantities (`NewMilliQuantity(…,
 * DecimalSI)`): `500m`, `7`, `1500`, `2k`.
 */
import { parseQuantity } from '../../api/validation/quantity.js';

/** toMilli parses a quantity into milli-units (rounded up, as Quantity.MilliValue does); undefined when invalid. */
export function toMilli(q: unknown): number | undefined {
  const v = parseQuantity(q);
  if (v === undefined) return undefined;
  // Round away float noise first (0.1 * 1000 = 100.00000000000001), then up as upstream.
  return Math.ceil(Math.round(v * 1000 * 1e6) / 1e6);
}

const DECIMAL_SUFFIXES = ['', 'k', 'M', 'G', 'T', 'P', 'E'];

/** formatMilli renders milli-units as a canonical decimal quantity. */
export function formatMilli(milli: number): string {
  const m = Math.round(milli);
  if (m % 1000 !== 0) return `${m}m`;
  let v = m / 1000;
  let i = 0;
  while (v !== 0 && v % 1000 === 0 && i < DECIMAL_SUFFIXES.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v}${DECIMAL_SUFFIXES[i] ?? ''}`;
}
