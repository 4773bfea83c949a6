/**
 * Quantity: the `resource.Quantity` string syntax (`100m`, `1.5Gi`, `2e3`). This module only parses to a number
 * for comparisons and range checks; it does not canonicalise. Precision is that of a JS double, enough to
 * compare requests with limits.
 */

/** QUANTITY_FORMAT_MSG is upstream's text for an unparseable quantity. */
export const QUANTITY_FORMAT_MSG = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

const SUFFIX: Readonly<Record<string, number>> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** parseQuantity returns the numeric value of a quantity (a string or a JSON number), or undefined when invalid. */
export function parseQuantity(q: unknown): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  if (typeof q !== 'string') return undefined;
  const m = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(.*)$/.exec(q);
  if (!m) return undefined;
  const num = Number(m[1]);
  const suffix = m[2] ?? '';
  const mult = SUFFIX[suffix];
  if (mult !== undefined) return num * mult;
  const exp = /^[eE]([+-]?[0-9]+)$/.exec(suffix);
  if (exp) return num * 10 ** Number(exp[1]);
  return undefined;
}
