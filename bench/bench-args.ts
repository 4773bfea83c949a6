/**
 * numberArg reads a numeric command-line option of a benchmark (`--nodes 1000`), or the fallback when absent.
 */
export function numberArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isFinite(value)) throw new Error(`Cannot read ${name}: "${process.argv[i + 1] ?? ''}" is not a number`);
  return value;
}
