/**
 * RBAC strategies: roles, clusterroles, rolebindings, clusterrolebindings. Names need only be valid path
 * segments (e.g. `system:controller:foo`).
 */
import { pathSegmentName } from '../../../api/validation/names.js';
import { validateRole, validateRoleBinding, validateRoleBindingUpdate } from '../../../api/validation/validate-rbac.js';
import { roleBindingTable, roleTable } from '../../printers/rbac.js';
import type { ResourceStrategy } from '../strategy.js';
import { newResourceStrategy } from './resource-strategy.js';

/** roleStrategy is the roles policy. */
export const roleStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: true,
  name: pathSegmentName,
  validate: (r) => validateRole(r, true),
  table: roleTable,
  tracksGeneration: false,
});

/** clusterRoleStrategy is the clusterroles policy. */
export const clusterRoleStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: false,
  name: pathSegmentName,
  validate: (r) => validateRole(r, false),
  table: roleTable,
  tracksGeneration: false,
});

/** roleBindingStrategy is the rolebindings policy. */
export const roleBindingStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: true,
  name: pathSegmentName,
  validate: (rb) => validateRoleBinding(rb, true),
  validateUpdate: validateRoleBindingUpdate,
  table: roleBindingTable,
  tracksGeneration: false,
});

/** clusterRoleBindingStrategy is the clusterrolebindings policy. */
export const clusterRoleBindingStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: false,
  name: pathSegmentName,
  validate: (rb) => validateRoleBinding(rb, false),
  validateUpdate: validateRoleBindingUpdate,
  table: roleBindingTable,
  tracksGeneration: false,
});
