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

/**
 * serverArgsArg reads `--server-args "<flags>"`: more `tkube server` flags for the benchmark's server, split at
 * whitespace (e.g. `--server-args "--components-process separate"`, to compare the two ways of running the
 * components in one session). Absent: none.
 */
export function serverArgsArg(): string[] {
  const i = process.argv.indexOf('--server-args');
  if (i < 0) return [];
  return (process.argv[i + 1] ?? '').split(/\s+/).filter((a) => a !== '');
}
