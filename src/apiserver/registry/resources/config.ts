/**
 * Strategies of configuration kinds: configmaps, secrets (stringData folded into data), serviceaccounts,
 * resourcequotas and limitranges.
 */
import { defaultLimitRange, defaultSecret } from '../../../api/defaults/core.js';
import { str } from '../../../api/validation/unstructured.js';
import { validateLimitRange, validateResourceQuota } from '../../../api/validation/validate-cluster.js';
import { validateConfigMap, validateConfigMapUpdate, validateSecret, validateSecretUpdate } from '../../../api/validation/validate-config.js';
import { configMapTable, limitRangeTable, resourceQuotaTable, secretTable, serviceAccountTable } from '../../printers/config.js';
import type { ResourceStrategy } from '../strategy.js';
import { newResourceStrategy } from './resource-strategy.js';

/** configMapStrategy is the core/v1 configmaps policy. */
export const configMapStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: true,
  validate: validateConfigMap,
  validateUpdate: validateConfigMapUpdate,
  table: configMapTable,
  tracksGeneration: false,
});

/** secretStrategy is the core/v1 secrets policy; `type` is selectable. */
export const secretStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: true,
  defaults: defaultSecret,
  validate: validateSecret,
  validateUpdate: validateSecretUpdate,
  selectableFields: (s) => ({ type: str(s['type']) ?? '' }),
  table: secretTable,
  tracksGeneration: false,
});

/** serviceAccountStrategy is the core/v1 serviceaccounts policy. */
export const serviceAccountStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: true,
  table: serviceAccountTable,
  tracksGeneration: false,
});

/** resourceQuotaStrategy is the core/v1 resourcequotas policy. */
export const resourceQuotaStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: true,
  statusSubresource: true,
  validate: validateResourceQuota,
  table: resourceQuotaTable,
  tracksGeneration: false,
});

/** limitRangeStrategy is the core/v1 limitranges policy. */
export const limitRangeStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: true,
  defaults: defaultLimitRange,
  validate: validateLimitRange,
  table: limitRangeTable,
  tracksGeneration: false,
});
