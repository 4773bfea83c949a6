/** formatQuantity: a number back to Kubernetes quantity text (for usage and limits in messages and quota status). */

const BINARY: readonly [string, number][] = [
  ['Ei', 2 ** 60],
  ['Pi', 2 ** 50],
  ['Ti', 2 ** 40],
  ['Gi', 2 ** 30],
  ['Mi', 2 ** 20],
  ['Ki', 2 ** 10],
];
const DECIMAL: readonly [string, number][] = [
  ['E', 1e18],
  ['P', 1e15],
  ['T', 1e12],
  ['G', 1e9],
  ['M', 1e6],
  ['k', 1e3],
];

/**
 * formatQuantity writes `value` in the shortest exact form: a binary suffix when `binary` and the value is a
 * multiple of 1024, a decimal suffix for whole multiples of 1000, milli units for fractions (rounded up, as
 * upstream rounds quantities to milli precision).
 */
export function formatQuantity(value: number, binary = false): string {
  if (value === 0) return '0';
  if (!Number.isInteger(value)) {
    const milli = Math.ceil(Math.round(value * 1e6) / 1e3);
    return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
  }
  for (const [suffix, size] of binary ? BINARY : DECIMAL) {
    if (Math.abs(value) >= size && value % size === 0) return `${value / size}${suffix}`;
  }
  return String(value);
}

/** isBinaryQuantity says whether a quantity text uses a binary suffix (Ki, Mi…), to keep that style in sums. */
export function isBinaryQuantity(text: unknown): boolean {
  return typeof text === 'string' && /[KMGTPE]i$/.test(text);
}
