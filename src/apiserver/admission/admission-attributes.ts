/** newAdmissionAttributes: attributes with defaults, collecting warnings — for plugin tests and callers outside the store. */
import type { AdmissionAttributes } from './admission.js';

/** CollectedAttributes are attributes whose warnings are kept in `warnings`. */
export type CollectedAttributes = AdmissionAttributes & { readonly warnings: string[] };

/** newAdmissionAttributes fills everything not given: core group, v1, no subresource, admin user, not a dry run. */
export function newAdmissionAttributes(init: Partial<Omit<AdmissionAttributes, 'warn'>> & Pick<AdmissionAttributes, 'operation' | 'resource'>): CollectedAttributes {
  const warnings: string[] = [];
  return {
    group: '',
    version: 'v1',
    subresource: '',
    kind: '',
    namespace: '',
    name: init.object?.metadata?.name ?? init.oldObject?.metadata?.name ?? '',
    object: undefined,
    oldObject: undefined,
    user: { username: 'admin', groups: ['system:masters', 'system:authenticated'] },
    dryRun: false,
    ...init,
    warnings,
    warn: (message) => void warnings.push(message),
  };
}
