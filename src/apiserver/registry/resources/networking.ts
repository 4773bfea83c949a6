/**
 * Networking strategies: ingresses, ingressclasses and networkpolicies.
 */
import { defaultNetworkPolicy } from '../../../api/defaults/core.js';
import { validateIngress, validateIngressClass, validateIngressClassUpdate, validateNetworkPolicy } from '../../../api/validation/validate-networking.js';
import { ingressClassTable, ingressTable, networkPolicyTable } from '../../printers/networking.js';
import type { ResourceStrategy } from '../strategy.js';
import { newResourceStrategy } from './resource-strategy.js';

/** ingressStrategy is the networking.k8s.io/v1 ingresses policy. */
export const ingressStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: true,
  statusSubresource: true,
  validate: validateIngress,
  table: ingressTable,
});

/** ingressClassStrategy is the networking.k8s.io/v1 ingressclasses policy. */
export const ingressClassStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: false,
  validate: validateIngressClass,
  validateUpdate: validateIngressClassUpdate,
  table: ingressClassTable,
});

/** networkPolicyStrategy is the networking.k8s.io/v1 networkpolicies policy. */
export const networkPolicyStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: true,
  defaults: defaultNetworkPolicy,
  validate: validateNetworkPolicy,
  table: networkPolicyTable,
});
