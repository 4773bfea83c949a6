/**
 * Workload controller strategies: deployments, replicasets, replicationcontrollers, statefulsets, daemonsets,
 * plus podtemplates and controllerrevisions. Controllers with a status subresource start with `status: {}`.
 */
import type { KubeObject } from '../../../api/meta/types.js';
import { defaultDaemonSet, defaultDeployment, defaultReplicaSet, defaultReplicationController, defaultStatefulSet } from '../../../api/defaults/apps.js';
import { defaultPodTemplateSpec } from '../../../api/defaults/pod.js';
import { isObject, num, obj } from '../../../api/validation/unstructured.js';
import { validatePodTemplateSpec } from '../../../api/validation/validate-pod.js';
import {
  validateControllerRevision,
  validateControllerRevisionUpdate,
  validateDaemonSet,
  validateDeployment,
  validateDeploymentUpdate,
  validateReplicaSet,
  validateReplicationController,
  validateSelectorUpdate,
  validateStatefulSet,
  validateStatefulSetUpdate,
} from '../../../api/validation/validate-workloads.js';
import {
  controllerRevisionTable,
  daemonSetTable,
  deploymentTable,
  podTemplateTable,
  replicaSetTable,
  replicationControllerTable,
  statefulSetTable,
} from '../../printers/workloads.js';
import type { ResourceStrategy } from '../strategy.js';
import { newResourceStrategy } from './resource-strategy.js';

function replicasField(o: KubeObject): Record<string, string> {
  return { 'status.replicas': String(num(obj(o['status'])['replicas']) ?? 0) };
}

/** deploymentStrategy is the apps/v1 deployments policy. */
export const deploymentStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: true,
  statusSubresource: true,
  defaults: defaultDeployment,
  validate: validateDeployment,
  validateUpdate: validateDeploymentUpdate,
  table: deploymentTable,
});

/** replicaSetStrategy is the apps/v1 replicasets policy. */
export const replicaSetStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: true,
  statusSubresource: true,
  defaults: defaultReplicaSet,
  validate: validateReplicaSet,
  validateUpdate: validateSelectorUpdate,
  selectableFields: replicasField,
  table: replicaSetTable,
});

/** replicationControllerStrategy is the core/v1 replicationcontrollers policy (its selector may change). */
export const replicationControllerStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: true,
  statusSubresource: true,
  defaults: defaultReplicationController,
  validate: validateReplicationController,
  selectableFields: replicasField,
  table: replicationControllerTable,
});

/** statefulSetStrategy is the apps/v1 statefulsets policy. */
export const statefulSetStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: true,
  statusSubresource: true,
  defaults: defaultStatefulSet,
  validate: validateStatefulSet,
  validateUpdate: (sts, old) => [...validateSelectorUpdate(sts, old), ...validateStatefulSetUpdate(sts, old)],
  table: statefulSetTable,
});

/** daemonSetStrategy is the apps/v1 daemonsets policy. */
export const daemonSetStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: true,
  statusSubresource: true,
  defaults: defaultDaemonSet,
  validate: validateDaemonSet,
  validateUpdate: validateSelectorUpdate,
  table: daemonSetTable,
});

/** podTemplateStrategy is the core/v1 podtemplates policy. */
export const podTemplateStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: true,
  defaults: (pt) => {
    const t = pt['template'];
    if (isObject(t)) defaultPodTemplateSpec(t);
  },
  validate: (pt) => validatePodTemplateSpec(pt['template'], 'template'),
  table: podTemplateTable,
  tracksGeneration: false,
});

/** controllerRevisionStrategy is the apps/v1 controllerrevisions policy (data immutable). */
export const controllerRevisionStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: true,
  validate: validateControllerRevision,
  validateUpdate: validateControllerRevisionUpdate,
  table: controllerRevisionTable,
  tracksGeneration: false,
});
