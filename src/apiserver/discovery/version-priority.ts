/**
 * Kubernetes version priority: GA before beta before alpha, higher numbers first within a level
 * ("v2" > "v1" > "v1beta2" > "v1beta1" > "v1alpha1"); anything not shaped like a Kubernetes version sorts last,
 * alphabetically. Discovery orders a group's versions this way after its preferred version.
 */

const VERSION_PATTERN = /^v(\d+)(?:(alpha|beta)(\d+))?$/;

function rank(version: string): [level: number, major: number, minor: number] | undefined {
  const m = VERSION_PATTERN.exec(version);
  if (m === null) return undefined;
  const level = m[2] === undefined ? 2 : m[2] === 'beta' ? 1 : 0;
  return [level, Number(m[1]), m[3] === undefined ? 0 : Number(m[3])];
}

/** compareVersionPriority sorts versions highest priority first (a negative result means `a` comes first). */
export function compareVersionPriority(a: string, b: string): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra === undefined || rb === undefined) {
    if (ra !== undefined) return -1;
    if (rb !== undefined) return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  for (let i = 0; i < 3; i++) {
    const d = (rb[i] ?? 0) - (ra[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
