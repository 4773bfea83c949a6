/**
 * Strategies of policy and autoscaling kinds: poddisruptionbudgets and horizontalpodautoscalers (both API
 * versions share one storage), plus customresourcedefinitions, for which this package provides only the shared
 * rules and table.
 */
import { defaultHorizontalPodAutoscaler } from '../../../api/defaults/core.js';
import { validateHorizontalPodAutoscaler, validatePodDisruptionBudget } from '../../../api/validation/validate-policy.js';
import { horizontalPodAutoscalerTable } from '../../printers/autoscaling.js';
import { customResourceDefinitionTable } from '../../printers/cluster.js';
import { podDisruptionBudgetTable } from '../../printers/policy.js';
import { obj, objects, str } from '../../../api/validation/unstructured.js';
import type { ResourceStrategy } from '../strategy.js';
import { newResourceStrategy } from './resource-strategy.js';

/** podDisruptionBudgetStrategy is the policy/v1 poddisruptionbudgets policy. */
export const podDisruptionBudgetStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: true,
  statusSubresource: true,
  validate: validatePodDisruptionBudget,
  table: podDisruptionBudgetTable,
});

/** horizontalPodAutoscalerStrategy is the autoscaling horizontalpodautoscalers policy (v1 and v2 shapes). */
export const horizontalPodAutoscalerStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: true,
  statusSubresource: true,
  defaults: defaultHorizontalPodAutoscaler,
  validate: validateHorizontalPodAutoscaler,
  table: horizontalPodAutoscalerTable,
  tracksGeneration: true,
});

/** customResourceDefinitionStrategy: the status rule and the table; schema validation belongs to the CRD registry. */
export const customResourceDefinitionStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: false,
  statusSubresource: true,
  initialStatus: (crd) => {
    const storage = objects(obj(crd['spec'])['versions']).find((v) => v['storage'] === true);
    return { storedVersions: storage ? [str(storage['name']) ?? ''] : [] };
  },
  table: customResourceDefinitionTable,
});
