/**
 * collectRepeatable is commander's argument parser for a repeatable flag that also takes comma-separated values
 * (`--tls-san a,b --tls-san c`, `--node-label x=1,y=2`): each use adds its non-empty items to the list so far.
 */
export function collectRepeatable(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(',').filter((s) => s.length > 0)];
}
