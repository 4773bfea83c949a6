/**
 * BUILTIN_STRATEGIES: the ResourceStrategy of every built-in resource that has one, keyed `${group}/${resource}`
 * ("/pods", "apps/deployments"). Resources sharing one storage (events.k8s.io events, autoscaling/v1 HPAs) use
 * the key of their storage group/resource. Resources without an entry get the store's defaults (NAME, AGE).
 */
import {
  validatingAdmissionPolicyBindingStrategy,
  validatingAdmissionPolicyStrategy,
  webhookConfigurationStrategy,
} from './admissionregistration.js';
import type { ResourceStrategy } from '../strategy.js';
import { cronJobStrategy, jobStrategy } from './batch.js';
import { certificateSigningRequestStrategy } from './certificates.js';
import { eventStrategy, leaseStrategy, namespaceStrategy, nodeStrategy, priorityClassStrategy } from './cluster.js';
import { configMapStrategy, limitRangeStrategy, resourceQuotaStrategy, secretStrategy, serviceAccountStrategy } from './config.js';
import { ingressClassStrategy, ingressStrategy, networkPolicyStrategy } from './networking.js';
import { podStrategy } from './pods.js';
import { customResourceDefinitionStrategy, horizontalPodAutoscalerStrategy, podDisruptionBudgetStrategy } from './policy.js';
import { clusterRoleBindingStrategy, clusterRoleStrategy, roleBindingStrategy, roleStrategy } from './rbac.js';
import { endpointSliceStrategy, endpointsStrategy, serviceStrategy } from './services.js';
import { persistentVolumeClaimStrategy, persistentVolumeStrategy, storageClassStrategy } from './storage.js';
import {
  controllerRevisionStrategy,
  daemonSetStrategy,
  deploymentStrategy,
  podTemplateStrategy,
  replicaSetStrategy,
  replicationControllerStrategy,
  statefulSetStrategy,
} from './workloads.js';

/** BUILTIN_STRATEGIES maps `${group}/${resource}` to its strategy. */
export const BUILTIN_STRATEGIES: ReadonlyMap<string, ResourceStrategy> = new Map<string, ResourceStrategy>([
  ['/pods', podStrategy],
  ['/services', serviceStrategy],
  ['/endpoints', endpointsStrategy],
  ['/namespaces', namespaceStrategy],
  ['/nodes', nodeStrategy],
  ['/events', eventStrategy],
  ['/configmaps', configMapStrategy],
  ['/secrets', secretStrategy],
  ['/serviceaccounts', serviceAccountStrategy],
  ['/resourcequotas', resourceQuotaStrategy],
  ['/limitranges', limitRangeStrategy],
  ['/replicationcontrollers', replicationControllerStrategy],
  ['/podtemplates', podTemplateStrategy],
  ['/persistentvolumes', persistentVolumeStrategy],
  ['/persistentvolumeclaims', persistentVolumeClaimStrategy],
  ['apps/deployments', deploymentStrategy],
  ['apps/replicasets', replicaSetStrategy],
  ['apps/statefulsets', statefulSetStrategy],
  ['apps/daemonsets', daemonSetStrategy],
  ['apps/controllerrevisions', controllerRevisionStrategy],
  ['batch/jobs', jobStrategy],
  ['batch/cronjobs', cronJobStrategy],
  ['autoscaling/horizontalpodautoscalers', horizontalPodAutoscalerStrategy],
  ['policy/poddisruptionbudgets', podDisruptionBudgetStrategy],
  ['networking.k8s.io/ingresses', ingressStrategy],
  ['networking.k8s.io/ingressclasses', ingressClassStrategy],
  ['networking.k8s.io/networkpolicies', networkPolicyStrategy],
  ['discovery.k8s.io/endpointslices', endpointSliceStrategy],
  ['storage.k8s.io/storageclasses', storageClassStrategy],
  ['scheduling.k8s.io/priorityclasses', priorityClassStrategy],
  ['coordination.k8s.io/leases', leaseStrategy],
  ['rbac.authorization.k8s.io/roles', roleStrategy],
  ['rbac.authorization.k8s.io/clusterroles', clusterRoleStrategy],
  ['rbac.authorization.k8s.io/rolebindings', roleBindingStrategy],
  ['rbac.authorization.k8s.io/clusterrolebindings', clusterRoleBindingStrategy],
  ['certificates.k8s.io/certificatesigningrequests', certificateSigningRequestStrategy],
  ['apiextensions.k8s.io/customresourcedefinitions', customResourceDefinitionStrategy],
  ['admissionregistration.k8s.io/mutatingwebhookconfigurations', webhookConfigurationStrategy],
  ['admissionregistration.k8s.io/validatingwebhookconfigurations', webhookConfigurationStrategy],
  ['admissionregistration.k8s.io/validatingadmissionpolicies', validatingAdmissionPolicyStrategy],
  ['admissionregistration.k8s.io/validatingadmissionpolicybindings', validatingAdmissionPolicyBindingStrategy],
]);
