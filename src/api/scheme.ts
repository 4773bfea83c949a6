/**
 * The scheme: every built-in resource the API server serves, with the names discovery publishes
 * (plural, singular, kind, short names, categories, verbs, subresources). One table, read by discovery,
 * OpenAPI, the registry and the CLI; custom resources join it at run time through the CRD registry.
 */
import type { GroupVersionKind } from './schema/types.js';

/** SubresourceInfo describes a subresource such as `status` or `scale`. */
export interface SubresourceInfo {
  readonly name: string;
  /** The kind the subresource returns (e.g. autoscaling/v1 Scale); defaults to the parent kind. */
  readonly kind?: GroupVersionKind;
  readonly verbs: readonly string[];
}

/** ResourceInfo describes one served resource at one group/version. */
export interface ResourceInfo {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** Plural lower-case name used in URLs, e.g. "deployments". */
  readonly resource: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  readonly verbs: readonly string[];
  readonly subresources?: readonly SubresourceInfo[];
  /** Storage group/resource when several versions share one storage (autoscaling v1/v2, events). */
  readonly storageGroup?: string;
  readonly storageResource?: string;
}

/** ALL_VERBS are the verbs of an ordinary read-write resource. */
export const ALL_VERBS: readonly string[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const CREATE_ONLY: readonly string[] = ['create'];
const STATUS_VERBS: readonly string[] = ['get', 'patch', 'update'];

function scaleOf(): SubresourceInfo {
  return { name: 'scale', kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: STATUS_VERBS };
}
function statusOf(): SubresourceInfo {
  return { name: 'status', verbs: STATUS_VERBS };
}

function r(
  gv: string,
  kind: string,
  resource: string,
  namespaced: boolean,
  extra: Partial<Omit<ResourceInfo, 'group' | 'version' | 'kind' | 'resource' | 'namespaced'>> = {},
): ResourceInfo {
  const slash = gv.indexOf('/');
  const group = slash < 0 ? '' : gv.slice(0, slash);
  const version = slash < 0 ? gv : gv.slice(slash + 1);
  return {
    group,
    version,
    kind,
    resource,
    singular: extra.singular ?? kind.toLowerCase(),
    namespaced,
    verbs: extra.verbs ?? ALL_VERBS,
    ...extra,
  };
}

const ALL = ['all'];

/** BUILTIN_RESOURCES lists every built-in resource, in the order discovery publishes groups. */
export const BUILTIN_RESOURCES: readonly ResourceInfo[] = [
  // core/v1
  r('v1', 'Binding', 'bindings', true, { verbs: CREATE_ONLY }),
  r('v1', 'ComponentStatus', 'componentstatuses', false, { shortNames: ['cs'], verbs: ['get', 'list'] }),
  r('v1', 'ConfigMap', 'configmaps', true, { shortNames: ['cm'] }),
  r('v1', 'Endpoints', 'endpoints', true, { shortNames: ['ep'], singular: 'endpoints' }),
  r('v1', 'Event', 'events', true, { shortNames: ['ev'] }),
  r('v1', 'LimitRange', 'limitranges', true, { shortNames: ['limits'] }),
  r('v1', 'Namespace', 'namespaces', false, {
    shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: [{ name: 'finalize', verbs: ['update'] }, statusOf()],
  }),
  r('v1', 'Node', 'nodes', false, { shortNames: ['no'], subresources: [{ name: 'proxy', verbs: ['create', 'delete', 'get', 'patch', 'update'] }, statusOf()] }),
  r('v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, { shortNames: ['pvc'], subresources: [statusOf()] }),
  r('v1', 'PersistentVolume', 'persistentvolumes', false, { shortNames: ['pv'], subresources: [statusOf()] }),
  r('v1', 'Pod', 'pods', true, {
    shortNames: ['po'],
    categories: ALL,
    subresources: [
      { name: 'attach', kind: { group: '', version: 'v1', kind: 'PodAttachOptions' }, verbs: ['create', 'get'] },
      { name: 'binding', kind: { group: '', version: 'v1', kind: 'Binding' }, verbs: CREATE_ONLY },
      { name: 'ephemeralcontainers', verbs: STATUS_VERBS },
      { name: 'eviction', kind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: CREATE_ONLY },
      { name: 'exec', kind: { group: '', version: 'v1', kind: 'PodExecOptions' }, verbs: ['create', 'get'] },
      { name: 'log', verbs: ['get'] },
      { name: 'portforward', kind: { group: '', version: 'v1', kind: 'PodPortForwardOptions' }, verbs: ['create', 'get'] },
      { name: 'proxy', kind: { group: '', version: 'v1', kind: 'PodProxyOptions' }, verbs: ['create', 'delete', 'get', 'patch', 'update'] },
      statusOf(),
    ],
  }),
  r('v1', 'PodTemplate', 'podtemplates', true),
  r('v1', 'ReplicationController', 'replicationcontrollers', true, {
    shortNames: ['rc'],
    categories: ALL,
    subresources: [scaleOf(), statusOf()],
  }),
  r('v1', 'ResourceQuota', 'resourcequotas', true, { shortNames: ['quota'], subresources: [statusOf()] }),
  r('v1', 'Secret', 'secrets', true),
  r('v1', 'ServiceAccount', 'serviceaccounts', true, {
    shortNames: ['sa'],
    subresources: [{ name: 'token', kind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }, verbs: CREATE_ONLY }],
  }),
  r('v1', 'Service', 'services', true, {
    shortNames: ['svc'],
    categories: ALL,
    subresources: [{ name: 'proxy', verbs: ['create', 'delete', 'get', 'patch', 'update'] }, statusOf()],
  }),
  // apps/v1
  r('apps/v1', 'ControllerRevision', 'controllerrevisions', true),
  r('apps/v1', 'DaemonSet', 'daemonsets', true, { shortNames: ['ds'], categories: ALL, subresources: [statusOf()] }),
  r('apps/v1', 'Deployment', 'deployments', true, { shortNames: ['deploy'], categories: ALL, subresources: [scaleOf(), statusOf()] }),
  r('apps/v1', 'ReplicaSet', 'replicasets', true, { shortNames: ['rs'], categories: ALL, subresources: [scaleOf(), statusOf()] }),
  r('apps/v1', 'StatefulSet', 'statefulsets', true, { shortNames: ['sts'], categories: ALL, subresources: [scaleOf(), statusOf()] }),
  // events.k8s.io/v1
  r('events.k8s.io/v1', 'Event', 'events', true, { shortNames: ['ev'], storageGroup: '', storageResource: 'events' }),
  // authentication.k8s.io/v1
  r('authentication.k8s.io/v1', 'SelfSubjectReview', 'selfsubjectreviews', false, { verbs: CREATE_ONLY }),
  r('authentication.k8s.io/v1', 'TokenReview', 'tokenreviews', false, { verbs: CREATE_ONLY }),
  // authorization.k8s.io/v1
  r('authorization.k8s.io/v1', 'LocalSubjectAccessReview', 'localsubjectaccessreviews', true, { verbs: CREATE_ONLY }),
  r('authorization.k8s.io/v1', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews', false, { verbs: CREATE_ONLY }),
  r('authorization.k8s.io/v1', 'SelfSubjectRulesReview', 'selfsubjectrulesreviews', false, { verbs: CREATE_ONLY }),
  r('authorization.k8s.io/v1', 'SubjectAccessReview', 'subjectaccessreviews', false, { verbs: CREATE_ONLY }),
  // autoscaling
  r('autoscaling/v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true, {
    shortNames: ['hpa'],
    categories: ALL,
    subresources: [statusOf()],
  }),
  r('autoscaling/v1', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true, {
    shortNames: ['hpa'],
    categories: ALL,
    subresources: [statusOf()],
    storageGroup: 'autoscaling',
    storageResource: 'horizontalpodautoscalers',
  }),
  // batch/v1
  r('batch/v1', 'CronJob', 'cronjobs', true, { shortNames: ['cj'], categories: ALL, subresources: [statusOf()] }),
  r('batch/v1', 'Job', 'jobs', true, { categories: ALL, subresources: [statusOf()] }),
  // certificates.k8s.io/v1 (node TLS bootstrap)
  r('certificates.k8s.io/v1', 'CertificateSigningRequest', 'certificatesigningrequests', false, {
    shortNames: ['csr'],
    subresources: [{ name: 'approval', verbs: STATUS_VERBS }, statusOf()],
  }),
  // networking.k8s.io/v1
  r('networking.k8s.io/v1', 'IngressClass', 'ingressclasses', false),
  r('networking.k8s.io/v1', 'Ingress', 'ingresses', true, { shortNames: ['ing'], subresources: [statusOf()] }),
  r('networking.k8s.io/v1', 'NetworkPolicy', 'networkpolicies', true, { shortNames: ['netpol'] }),
  // policy/v1
  r('policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, { shortNames: ['pdb'], subresources: [statusOf()] }),
  // rbac.authorization.k8s.io/v1
  r('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
  r('rbac.authorization.k8s.io/v1', 'ClusterRole', 'clusterroles', false),
  r('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings', true),
  r('rbac.authorization.k8s.io/v1', 'Role', 'roles', true),
  // storage.k8s.io/v1
  r('storage.k8s.io/v1', 'StorageClass', 'storageclasses', false, { shortNames: ['sc'] }),
  // admissionregistration.k8s.io/v1
  r('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', false, { categories: ['api-extensions'] }),
  r('admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicy', 'validatingadmissionpolicies', false, {
    categories: ['api-extensions'],
    subresources: [statusOf()],
  }),
  r('admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicyBinding', 'validatingadmissionpolicybindings', false, { categories: ['api-extensions'] }),
  r('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false, { categories: ['api-extensions'] }),
  // scheduling.k8s.io/v1
  r('scheduling.k8s.io/v1', 'PriorityClass', 'priorityclasses', false, { shortNames: ['pc'] }),
  // coordination.k8s.io/v1
  r('coordination.k8s.io/v1', 'Lease', 'leases', true),
  // discovery.k8s.io/v1
  r('discovery.k8s.io/v1', 'EndpointSlice', 'endpointslices', true),
  // apiextensions.k8s.io/v1
  r('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'customresourcedefinitions', false, {
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    subresources: [statusOf()],
  }),
];

/** groupVersionOf returns "v1" for the core group and "group/version" otherwise. */
export function groupVersionOf(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

/** PREFERRED_VERSIONS gives each group's preferred version where a group serves more than one. */
export const PREFERRED_VERSIONS: Readonly<Record<string, string>> = {
  autoscaling: 'v2',
};
