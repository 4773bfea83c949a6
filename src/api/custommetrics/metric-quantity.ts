/**
 * formatMetricQuantity writes a metric value as a `resource.Quantity` string, as the metrics APIs carry values:
 * whole numbers plainly (`7`), fractions in milli-units (`1500m`, what the HPA reads with MilliValue), very large
 * values in exponent form (`1e+21` → `1e21`). NaN and infinities have no Quantity form: undefined.
 */
export function formatMetricQuantity(value: number): string | undefined {
  if (!Number.isFinite(value)) return undefined;
  if (Number.isInteger(value) && Math.abs(value) < Number.MAX_SAFE_INTEGER) return String(value);
  const milli = Math.round(value * 1000);
  if (Math.abs(milli) < Number.MAX_SAFE_INTEGER) return `${milli}m`;
  // Beyond 2^53 the digits are not exact anyway; an exponent keeps the string short and parseable.
  const [mantissa = '0', exponent = '0'] = value.toExponential(6).split('e');
  return `${mantissa.replace(/\.?0+$/, '')}e${Number(exponent)}`;
}
