/**
 * admissionregistration.k8s.io/v1 policies: webhook configurations and ValidatingAdmissionPolicies with their
 * bindings (cluster-scoped; the policy has a status subresource). The admission chain reads them; validation of
 * their contents beyond metadata happens where they are used (a bad CEL expression is reported by the policy).
 */
import { validatingAdmissionPolicyBindingTable, validatingAdmissionPolicyTable, webhookConfigurationTable } from '../../printers/admissionregistration.js';
import type { ResourceStrategy } from '../strategy.js';
import { newResourceStrategy } from './resource-strategy.js';

/** webhookConfigurationStrategy serves mutating and validating webhook configurations. */
export const webhookConfigurationStrategy: ResourceStrategy = newResourceStrategy({ namespaced: false, table: webhookConfigurationTable, tracksGeneration: true });

/** validatingAdmissionPolicyStrategy serves ValidatingAdmissionPolicies (spec and a status subresource). */
export const validatingAdmissionPolicyStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: false,
  statusSubresource: true,
  table: validatingAdmissionPolicyTable,
});

/** validatingAdmissionPolicyBindingStrategy serves ValidatingAdmissionPolicyBindings. */
export const validatingAdmissionPolicyBindingStrategy: ResourceStrategy = newResourceStrategy({ namespaced: false, table: validatingAdmissionPolicyBindingTable });
