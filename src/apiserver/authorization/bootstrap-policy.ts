/**
 * The bootstrap policy: the ClusterRoles, ClusterRoleBindings, Roles and RoleBindings every cluster starts with
 * (names, rules, labels and subjects as upstream's bootstrappolicy). Each object carries the annotation
 * `rbac.authorization.kubernetes.io/autoupdate: "true"`; PolicyBootstrap re-creates missing ones and adds
 * missing rules/subjects to those still marked for auto-update.
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { PolicyRule } from './policy-rule.js';
import type { Subject } from './rbac-authorizer.js';

/** AUTOUPDATE_ANNOTATION marks bootstrap objects the server may reconcile. */
export const AUTOUPDATE_ANNOTATION = 'rbac.authorization.kubernetes.io/autoupdate';

/** The labels that aggregate a ClusterRole into admin, edit and view. */
export const AGGREGATE_TO_ADMIN = 'rbac.authorization.k8s.io/aggregate-to-admin';
/** See AGGREGATE_TO_ADMIN. */
export const AGGREGATE_TO_EDIT = 'rbac.authorization.k8s.io/aggregate-to-edit';
/** See AGGREGATE_TO_ADMIN. */
export const AGGREGATE_TO_VIEW = 'rbac.authorization.k8s.io/aggregate-to-view';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const READ_WRITE = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const API = 'rbac.authorization.k8s.io/v1';

function r(verbs: readonly string[], groups: readonly string[], resources: readonly string[], resourceNames?: readonly string[]): PolicyRule {
  return resourceNames ? { verbs, apiGroups: groups, resources, resourceNames } : { verbs, apiGroups: groups, resources };
}

function urls(verbs: readonly string[], nonResourceURLs: readonly string[]): PolicyRule {
  return { verbs, nonResourceURLs };
}

function meta(name: string, labels: Record<string, string> = {}, namespace?: string): KubeObject['metadata'] {
  return {
    name,
    ...(namespace ? { namespace } : {}),
    labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults', ...labels },
    annotations: { [AUTOUPDATE_ANNOTATION]: 'true' },
  };
}

function clusterRole(name: string, rules: readonly PolicyRule[], labels?: Record<string, string>, aggregateFrom?: string): KubeObject {
  const role: KubeObject = { apiVersion: API, kind: 'ClusterRole', metadata: meta(name, labels), rules };
  if (aggregateFrom) role.aggregationRule = { clusterRoleSelectors: [{ matchLabels: { [aggregateFrom]: 'true' } }] };
  return role;
}

function binding(kind: 'ClusterRoleBinding' | 'RoleBinding', name: string, roleKind: 'ClusterRole' | 'Role', role: string, subjects: readonly Subject[], namespace?: string): KubeObject {
  return { apiVersion: API, kind, metadata: meta(name, {}, namespace), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: role }, subjects };
}

const group = (name: string): Subject => ({ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name });
const user = (name: string): Subject => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name });
const sa = (namespace: string, name: string): Subject => ({ kind: 'ServiceAccount', name, namespace });

const VIEW_RULES: PolicyRule[] = [
  r(READ, [''], ['configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status']),
  r(READ, [''], ['bindings', 'events', 'limitranges', 'namespaces/status', 'pods/log', 'pods/status', 'replicationcontrollers/status', 'resourcequotas', 'resourcequotas/status']),
  r(READ, [''], ['namespaces']),
  r(READ, ['discovery.k8s.io'], ['endpointslices']),
  r(READ, ['apps'], ['controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status']),
  r(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
  r(READ, ['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status']),
  r(READ, ['extensions'], ['daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'ingresses', 'ingresses/status', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicasets/status', 'replicationcontrollers/scale']),
  r(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
  r(READ, ['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies']),
];

const EDIT_RULES: PolicyRule[] = [
  r(READ, [''], ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy']),
  r(['impersonate'], [''], ['serviceaccounts']),
  r(WRITE, [''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy']),
  r(['create'], [''], ['pods/eviction']),
  r(WRITE, [''], ['configmaps', 'events', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'secrets', 'serviceaccounts', 'services', 'services/proxy']),
  r(['create'], [''], ['serviceaccounts/token']),
  r(WRITE, ['apps'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale']),
  r(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
  r(WRITE, ['batch'], ['cronjobs', 'jobs']),
  r(WRITE, ['extensions'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'ingresses', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicationcontrollers/scale']),
  r(WRITE, ['policy'], ['poddisruptionbudgets']),
  r(WRITE, ['networking.k8s.io'], ['ingresses', 'networkpolicies']),
  r(['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], ['coordination.k8s.io'], ['leases']),
];

const ADMIN_RULES: PolicyRule[] = [
  r(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
  r(READ_WRITE, ['rbac.authorization.k8s.io'], ['rolebindings', 'roles']),
];

/** Every controller may record events. */
const EVENTS = r(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']);

/** The controllers' roles (`system:controller:<name>`), bound to ServiceAccount kube-system/<name>. */
const CONTROLLER_ROLES: ReadonlyMap<string, PolicyRule[]> = new Map([
  ['attachdetach-controller', [r(['list', 'watch'], [''], ['persistentvolumeclaims', 'persistentvolumes']), r(READ, [''], ['nodes']), r(['patch', 'update'], [''], ['nodes/status']), r(['list', 'watch'], [''], ['pods']), EVENTS, r(['create', 'delete', 'get', 'list', 'watch'], ['storage.k8s.io'], ['volumeattachments']), r(READ, ['storage.k8s.io'], ['csidrivers']), r(READ, ['storage.k8s.io'], ['csinodes'])]],
  ['certificate-controller', [
    r(['delete', 'get', 'list', 'watch'], ['certificates.k8s.io'], ['certificatesigningrequests']),
    r(['update'], ['certificates.k8s.io'], ['certificatesigningrequests/approval', 'certificatesigningrequests/status']),
    r(['approve'], ['certificates.k8s.io'], ['signers'], ['kubernetes.io/kube-apiserver-client-kubelet']),
    r(['sign'], ['certificates.k8s.io'], ['signers'], ['kubernetes.io/kube-apiserver-client', 'kubernetes.io/kube-apiserver-client-kubelet', 'kubernetes.io/kubelet-serving', 'kubernetes.io/legacy-unknown']),
    r(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
    EVENTS,
  ]],
  ['clusterrole-aggregation-controller', [r(['escalate', 'get', 'list', 'patch', 'update', 'watch'], ['rbac.authorization.k8s.io'], ['clusterroles'])]],
  ['cronjob-controller', [r(['get', 'list', 'update', 'watch'], ['batch'], ['cronjobs']), r(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], ['batch'], ['jobs']), r(['update'], ['batch'], ['cronjobs/status']), r(['update'], ['batch'], ['cronjobs/finalizers']), r(['delete', 'list', 'watch'], [''], ['pods']), EVENTS]],
  ['daemon-set-controller', [r(READ, ['apps', 'extensions'], ['daemonsets']), r(['update'], ['apps', 'extensions'], ['daemonsets/status']), r(['update'], ['apps', 'extensions'], ['daemonsets/finalizers']), r(['list', 'watch'], [''], ['nodes']), r(['create', 'delete', 'list', 'patch', 'watch'], [''], ['pods']), r(['create'], [''], ['pods/binding']), r(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], ['apps'], ['controllerrevisions']), EVENTS]],
  ['deployment-controller', [r(['get', 'list', 'update', 'watch'], ['apps', 'extensions'], ['deployments']), r(['update'], ['apps', 'extensions'], ['deployments/status']), r(['update'], ['apps', 'extensions'], ['deployments/finalizers']), r(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], ['apps', 'extensions'], ['replicasets']), r(['get', 'list', 'update', 'watch'], [''], ['pods']), EVENTS]],
  ['disruption-controller', [r(READ, ['apps', 'extensions'], ['deployments']), r(READ, ['apps', 'extensions'], ['replicasets']), r(READ, [''], ['replicationcontrollers']), r(READ, ['policy'], ['poddisruptionbudgets']), r(READ, ['apps'], ['statefulsets']), r(['update'], ['policy'], ['poddisruptionbudgets/status']), r(['patch', 'update'], [''], ['pods/status']), r(['get'], ['*'], ['*/scale']), EVENTS]],
  ['endpoint-controller', [r(READ, [''], ['pods', 'services']), r(['create', 'delete', 'get', 'list', 'update', 'watch'], [''], ['endpoints']), r(['create'], [''], ['endpoints/restricted']), EVENTS]],
  ['endpointslice-controller', [r(READ, [''], ['nodes', 'pods', 'services']), r(['update'], [''], ['services/finalizers']), r(['create', 'delete', 'get', 'list', 'update', 'watch'], ['discovery.k8s.io'], ['endpointslices']), EVENTS]],
  ['endpointslicemirroring-controller', [r(READ, [''], ['endpoints', 'services']), r(['update'], [''], ['services/finalizers']), r(['update'], [''], ['endpoints/finalizers']), r(['create', 'delete', 'get', 'list', 'update', 'watch'], ['discovery.k8s.io'], ['endpointslices']), EVENTS]],
  ['ephemeral-volume-controller', [r(READ, [''], ['pods']), r(['update'], [''], ['pods/finalizers']), r(['create', 'get', 'list', 'watch'], [''], ['persistentvolumeclaims']), EVENTS]],
  ['expand-controller', [r(['get', 'list', 'patch', 'update', 'watch'], [''], ['persistentvolumes']), r(['patch', 'update'], [''], ['persistentvolumeclaims/status']), r(READ, [''], ['persistentvolumeclaims']), EVENTS]],
  ['generic-garbage-collector', [r(['delete', 'get', 'list', 'patch', 'update', 'watch'], ['*'], ['*']), EVENTS]],
  ['horizontal-pod-autoscaler', [r(READ, ['autoscaling'], ['horizontalpodautoscalers']), r(['update'], ['autoscaling'], ['horizontalpodautoscalers/status']), r(['get', 'update'], ['*'], ['*/scale']), r(['list', 'watch'], [''], ['pods']), r(['list', 'watch'], ['metrics.k8s.io'], ['pods']), r(READ, ['custom.metrics.k8s.io'], ['*']), r(READ, ['external.metrics.k8s.io'], ['*']), EVENTS]],
  ['job-controller', [r(['get', 'list', 'patch', 'update', 'watch'], ['batch'], ['jobs']), r(['update'], ['batch'], ['jobs/status']), r(['update'], ['batch'], ['jobs/finalizers']), r(['create', 'delete', 'list', 'patch', 'watch'], [''], ['pods']), EVENTS]],
  ['legacy-service-account-token-cleaner', [r(['get'], [''], ['configmaps'], ['kube-apiserver-legacy-service-account-token-tracking']), r(['delete', 'patch'], [''], ['secrets'])]],
  ['namespace-controller', [r(['delete', 'get', 'list', 'watch'], [''], ['namespaces']), r(['update'], [''], ['namespaces/finalize', 'namespaces/status']), r(['delete', 'deletecollection', 'get', 'list', 'watch'], ['*'], ['*'])]],
  ['node-controller', [r(['delete', 'get', 'list', 'patch', 'update', 'watch'], [''], ['nodes']), r(['patch', 'update'], [''], ['nodes/status']), r(['patch', 'update'], [''], ['pods/status']), r(['delete', 'get', 'list', 'watch'], [''], ['pods']), EVENTS]],
  ['persistent-volume-binder', [r(['create', 'delete', 'get', 'list', 'update', 'watch'], [''], ['persistentvolumes']), r(['update'], [''], ['persistentvolumes/status']), r(['get', 'list', 'update', 'watch'], [''], ['persistentvolumeclaims']), r(['update'], [''], ['persistentvolumeclaims/status']), r(['create', 'delete', 'get', 'list', 'watch'], [''], ['pods']), r(READ, ['storage.k8s.io'], ['storageclasses']), r(['list', 'watch'], [''], ['nodes']), EVENTS, r(['watch'], [''], ['events'])]],
  ['pod-garbage-collector', [r(['delete', 'list', 'watch'], [''], ['pods']), r(READ, [''], ['nodes']), r(['patch'], [''], ['pods/status'])]],
  ['pv-protection-controller', [r(['get', 'list', 'update', 'watch'], [''], ['persistentvolumes']), EVENTS]],
  ['pvc-protection-controller', [r(['get', 'list', 'update', 'watch'], [''], ['persistentvolumeclaims']), r(['update'], [''], ['persistentvolumeclaims/status']), r(READ, [''], ['pods']), EVENTS]],
  ['replicaset-controller', [r(['get', 'list', 'update', 'watch'], ['apps', 'extensions'], ['replicasets']), r(['update'], ['apps', 'extensions'], ['replicasets/status']), r(['update'], ['apps', 'extensions'], ['replicasets/finalizers']), r(['create', 'delete', 'list', 'patch', 'watch'], [''], ['pods']), EVENTS]],
  ['replication-controller', [r(['get', 'list', 'update', 'watch'], [''], ['replicationcontrollers']), r(['update'], [''], ['replicationcontrollers/status']), r(['update'], [''], ['replicationcontrollers/finalizers']), r(['create', 'delete', 'list', 'patch', 'watch'], [''], ['pods']), EVENTS]],
  ['resourcequota-controller', [r(['list', 'watch'], ['*'], ['*']), r(['update'], [''], ['resourcequotas/status']), EVENTS]],
  ['root-ca-cert-publisher', [r(['create', 'update'], [''], ['configmaps']), EVENTS]],
  ['route-controller', [r(['list', 'watch'], [''], ['nodes']), r(['patch'], [''], ['nodes/status']), EVENTS]],
  ['service-account-controller', [r(['create'], [''], ['serviceaccounts']), EVENTS]],
  ['service-controller', [r(READ, [''], ['services']), r(['patch', 'update'], [''], ['services/status']), r(['list', 'watch'], [''], ['nodes']), EVENTS]],
  ['statefulset-controller', [
    r(['list', 'watch'], [''], ['pods']),
    r(READ, ['apps'], ['statefulsets']),
    r(['update'], ['apps'], ['statefulsets/status']),
    r(['update'], ['apps'], ['statefulsets/finalizers']),
    r(['create', 'delete', 'get', 'patch', 'update'], [''], ['pods']),
    r(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], ['apps'], ['controllerrevisions']),
    r(['create', 'get', 'list', 'watch'], [''], ['persistentvolumeclaims']),
    r(['delete', 'update'], [''], ['persistentvolumeclaims']),
    r(['update'], [''], ['pods/finalizers']),
    EVENTS,
  ]],
  ['ttl-after-finished-controller', [r(['delete', 'get', 'list', 'watch'], ['batch'], ['jobs']), EVENTS]],
  ['ttl-controller', [r(['list', 'patch', 'update', 'watch'], [''], ['nodes']), EVENTS]],
  ['validatingadmissionpolicy-status-controller', [r(READ, ['admissionregistration.k8s.io'], ['validatingadmissionpolicies']), r(['get', 'patch', 'update'], ['admissionregistration.k8s.io'], ['validatingadmissionpolicies/status']), EVENTS]],
]);

/** BOOTSTRAP_CLUSTER_ROLES are the default ClusterRoles. */
export const BOOTSTRAP_CLUSTER_ROLES: readonly KubeObject[] = [
  clusterRole('cluster-admin', [r(['*'], ['*'], ['*']), urls(['*'], ['*'])]),
  clusterRole('system:discovery', [urls(['get'], ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'])]),
  clusterRole('system:monitoring', [urls(['get'], ['/healthz', '/healthz/*', '/livez', '/livez/*', '/metrics', '/metrics/slis', '/readyz', '/readyz/*'])]),
  clusterRole('system:basic-user', [r(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']), r(['create'], ['authentication.k8s.io'], ['selfsubjectreviews'])]),
  clusterRole('system:public-info-viewer', [urls(['get'], ['/healthz', '/livez', '/readyz', '/version', '/version/'])]),
  clusterRole('admin', [], {}, AGGREGATE_TO_ADMIN),
  clusterRole('edit', [], { [AGGREGATE_TO_ADMIN]: 'true' }, AGGREGATE_TO_EDIT),
  clusterRole('view', [], { [AGGREGATE_TO_EDIT]: 'true' }, AGGREGATE_TO_VIEW),
  clusterRole('system:aggregate-to-admin', ADMIN_RULES, { [AGGREGATE_TO_ADMIN]: 'true' }),
  clusterRole('system:aggregate-to-edit', EDIT_RULES, { [AGGREGATE_TO_EDIT]: 'true' }),
  clusterRole('system:aggregate-to-view', VIEW_RULES, { [AGGREGATE_TO_VIEW]: 'true' }),
  // metrics-server's role: reading resource metrics (`kubectl top`) comes with view, edit and admin.
  clusterRole('system:aggregated-metrics-reader', [r(READ, ['metrics.k8s.io'], ['nodes', 'pods'])], {
    [AGGREGATE_TO_VIEW]: 'true',
    [AGGREGATE_TO_EDIT]: 'true',
    [AGGREGATE_TO_ADMIN]: 'true',
  }),
  clusterRole('system:heapster', [r(READ, [''], ['events', 'namespaces', 'nodes', 'pods']), r(READ, ['extensions'], ['deployments'])]),
  clusterRole('system:node', [
    r(['create'], ['authentication.k8s.io'], ['tokenreviews']),
    r(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews', 'subjectaccessreviews']),
    r(READ, [''], ['services']),
    r(['create', 'get', 'list', 'watch'], [''], ['nodes']),
    r(['patch', 'update'], [''], ['nodes/status']),
    r(['patch', 'update'], [''], ['nodes']),
    r(['create', 'patch', 'update'], [''], ['events']),
    r(READ, [''], ['pods']),
    r(['create', 'delete'], [''], ['pods']),
    r(['patch', 'update'], [''], ['pods/status']),
    r(['create'], [''], ['pods/eviction']),
    r(READ, [''], ['configmaps', 'secrets']),
    r(['get'], [''], ['persistentvolumeclaims', 'persistentvolumes']),
    r(['get'], [''], ['endpoints']),
    r(['create', 'get', 'list', 'watch'], ['certificates.k8s.io'], ['certificatesigningrequests']),
    r(['create', 'delete', 'get', 'patch', 'update'], ['coordination.k8s.io'], ['leases']),
    r(['get'], ['storage.k8s.io'], ['volumeattachments']),
    r(['create'], [''], ['serviceaccounts/token']),
    r(['get', 'patch', 'update'], [''], ['persistentvolumeclaims/status']),
    r(READ, ['storage.k8s.io'], ['csidrivers']),
    r(['create', 'delete', 'get', 'patch', 'update'], ['storage.k8s.io'], ['csinodes']),
    r(READ, ['node.k8s.io'], ['runtimeclasses']),
  ]),
  clusterRole('system:node-problem-detector', [r(['get'], [''], ['nodes']), r(['patch'], [''], ['nodes/status']), r(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events'])]),
  clusterRole('system:node-proxier', [r(['list', 'watch'], [''], ['endpoints', 'services']), r(READ, [''], ['nodes']), r(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']), r(['list', 'watch'], ['discovery.k8s.io'], ['endpointslices'])]),
  // tkube's own: a node agent runs its service proxy and NetworkPolicy enforcement under the node's identity (k3s
  // gives its agents' components such a role too), so nodes may read what those two program from.
  clusterRole('system:tkube-node-networking', [r(['list', 'watch'], [''], ['services', 'namespaces', 'pods']), r(['list', 'watch'], ['discovery.k8s.io'], ['endpointslices']), r(['list', 'watch'], ['networking.k8s.io'], ['networkpolicies'])]),
  // tkube's own: the local-path reclaimer on each node (src/agent/volumes/local-path-reclaimer.ts) removes a deleted
  // volume's directory and then its finalizer, under the node's identity (k3s runs its local-path provisioner with a
  // service account of the same reach). Upstream's node authorizer would only let a node get volumes its pods use.
  clusterRole('system:tkube-node-local-path', [r(['get', 'list', 'watch', 'patch'], [''], ['persistentvolumes'])]),
  clusterRole('system:kubelet-api-admin', [r(['get', 'list', 'watch'], [''], ['nodes']), r(['proxy'], [''], ['nodes']), r(['*'], [''], ['nodes/log', 'nodes/metrics', 'nodes/proxy', 'nodes/stats'])]),
  clusterRole('system:node-bootstrapper', [r(['create', 'get', 'list', 'watch'], ['certificates.k8s.io'], ['certificatesigningrequests'])]),
  clusterRole('system:auth-delegator', [r(['create'], ['authentication.k8s.io'], ['tokenreviews']), r(['create'], ['authorization.k8s.io'], ['subjectaccessreviews'])]),
  clusterRole('system:kube-aggregator', [r(READ, [''], ['endpoints', 'services'])]),
  clusterRole('system:kube-controller-manager', [
    r(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
    r(['create'], ['coordination.k8s.io'], ['leases']),
    r(['get', 'update'], ['coordination.k8s.io'], ['leases'], ['kube-controller-manager']),
    r(['create'], [''], ['secrets', 'serviceaccounts']),
    r(['delete'], [''], ['secrets']),
    r(['get'], [''], ['configmaps', 'namespaces', 'secrets', 'serviceaccounts']),
    r(['update'], [''], ['secrets', 'serviceaccounts']),
    r(['create'], ['authentication.k8s.io'], ['tokenreviews']),
    r(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
    r(['list', 'watch'], ['*'], ['*']),
    r(['create'], [''], ['serviceaccounts/token']),
  ]),
  clusterRole('system:kube-dns', [r(['list', 'watch'], [''], ['endpoints', 'services'])]),
  clusterRole('system:persistent-volume-provisioner', [r(['create', 'delete', 'get', 'list', 'watch'], [''], ['persistentvolumes']), r(['get', 'list', 'update', 'watch'], [''], ['persistentvolumeclaims']), r(READ, ['storage.k8s.io'], ['storageclasses']), r(['watch'], [''], ['events']), r(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events'])]),
  clusterRole('system:certificates.k8s.io:certificatesigningrequests:nodeclient', [r(['create'], ['certificates.k8s.io'], ['certificatesigningrequests/nodeclient'])]),
  clusterRole('system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', [r(['create'], ['certificates.k8s.io'], ['certificatesigningrequests/selfnodeclient'])]),
  clusterRole('system:certificates.k8s.io:legacy-unknown-approver', [r(['approve'], ['certificates.k8s.io'], ['signers'], ['kubernetes.io/legacy-unknown'])]),
  clusterRole('system:certificates.k8s.io:kubelet-serving-approver', [r(['approve'], ['certificates.k8s.io'], ['signers'], ['kubernetes.io/kubelet-serving'])]),
  clusterRole('system:certificates.k8s.io:kube-apiserver-client-approver', [r(['approve'], ['certificates.k8s.io'], ['signers'], ['kubernetes.io/kube-apiserver-client'])]),
  clusterRole('system:certificates.k8s.io:kube-apiserver-client-kubelet-approver', [r(['approve'], ['certificates.k8s.io'], ['signers'], ['kubernetes.io/kube-apiserver-client-kubelet'])]),
  clusterRole('system:kube-scheduler', [
    r(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
    r(['create'], ['coordination.k8s.io'], ['leases']),
    r(['get', 'update'], ['coordination.k8s.io'], ['leases'], ['kube-scheduler']),
    r(['delete', 'get', 'list', 'watch'], [''], ['pods']),
    r(READ, [''], ['nodes']),
    r(['create'], [''], ['bindings', 'pods/binding']),
    r(['patch', 'update'], [''], ['pods/status']),
    r(READ, [''], ['replicationcontrollers', 'services']),
    r(READ, ['apps', 'extensions'], ['replicasets']),
    r(READ, ['apps'], ['statefulsets']),
    r(READ, ['policy'], ['poddisruptionbudgets']),
    r(READ, [''], ['persistentvolumeclaims', 'persistentvolumes']),
    r(['create'], ['authentication.k8s.io'], ['tokenreviews']),
    r(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
    r(READ, ['storage.k8s.io'], ['csinodes']),
    r(READ, [''], ['namespaces']),
    r(READ, ['storage.k8s.io'], ['csidrivers']),
    r(READ, ['storage.k8s.io'], ['csistoragecapacities']),
  ]),
  clusterRole('system:volume-scheduler', [r(['get', 'list', 'patch', 'update', 'watch'], [''], ['persistentvolumes']), r(READ, ['storage.k8s.io'], ['storageclasses']), r(['get', 'list', 'patch', 'update', 'watch'], [''], ['persistentvolumeclaims'])]),
  clusterRole('system:service-account-issuer-discovery', [urls(['get'], ['/.well-known/openid-configuration', '/openid/v1/jwks'])]),
  ...[...CONTROLLER_ROLES].map(([name, rules]) => clusterRole(`system:controller:${name}`, rules)),
];

/** BOOTSTRAP_CLUSTER_ROLE_BINDINGS are the default ClusterRoleBindings. */
export const BOOTSTRAP_CLUSTER_ROLE_BINDINGS: readonly KubeObject[] = [
  binding('ClusterRoleBinding', 'cluster-admin', 'ClusterRole', 'cluster-admin', [group('system:masters')]),
  binding('ClusterRoleBinding', 'system:monitoring', 'ClusterRole', 'system:monitoring', [group('system:monitoring')]),
  binding('ClusterRoleBinding', 'system:discovery', 'ClusterRole', 'system:discovery', [group('system:authenticated')]),
  binding('ClusterRoleBinding', 'system:basic-user', 'ClusterRole', 'system:basic-user', [group('system:authenticated')]),
  binding('ClusterRoleBinding', 'system:public-info-viewer', 'ClusterRole', 'system:public-info-viewer', [group('system:authenticated'), group('system:unauthenticated')]),
  binding('ClusterRoleBinding', 'system:node-proxier', 'ClusterRole', 'system:node-proxier', [user('system:kube-proxy')]),
  binding('ClusterRoleBinding', 'system:kube-controller-manager', 'ClusterRole', 'system:kube-controller-manager', [user('system:kube-controller-manager')]),
  binding('ClusterRoleBinding', 'system:kube-dns', 'ClusterRole', 'system:kube-dns', [sa('kube-system', 'kube-dns')]),
  binding('ClusterRoleBinding', 'system:kube-scheduler', 'ClusterRole', 'system:kube-scheduler', [user('system:kube-scheduler')]),
  binding('ClusterRoleBinding', 'system:volume-scheduler', 'ClusterRole', 'system:volume-scheduler', [user('system:kube-scheduler')]),
  binding('ClusterRoleBinding', 'system:node', 'ClusterRole', 'system:node', []),
  binding('ClusterRoleBinding', 'system:tkube-node-networking', 'ClusterRole', 'system:tkube-node-networking', [group('system:nodes')]),
  binding('ClusterRoleBinding', 'system:tkube-node-local-path', 'ClusterRole', 'system:tkube-node-local-path', [group('system:nodes')]),
  binding('ClusterRoleBinding', 'system:service-account-issuer-discovery', 'ClusterRole', 'system:service-account-issuer-discovery', [group('system:serviceaccounts')]),
  ...[...CONTROLLER_ROLES.keys()].map((name) => binding('ClusterRoleBinding', `system:controller:${name}`, 'ClusterRole', `system:controller:${name}`, [sa('kube-system', name)])),
];

/** BOOTSTRAP_ROLES are the default namespaced Roles (kube-system, kube-public). */
export const BOOTSTRAP_ROLES: readonly KubeObject[] = [
  { apiVersion: API, kind: 'Role', metadata: meta('extension-apiserver-authentication-reader', {}, 'kube-system'), rules: [r(READ, [''], ['configmaps'], ['extension-apiserver-authentication'])] },
  { apiVersion: API, kind: 'Role', metadata: meta('system::leader-locking-kube-controller-manager', {}, 'kube-system'), rules: [r(['watch'], [''], ['configmaps']), r(['get', 'update'], [''], ['configmaps'], ['kube-controller-manager'])] },
  { apiVersion: API, kind: 'Role', metadata: meta('system::leader-locking-kube-scheduler', {}, 'kube-system'), rules: [r(['watch'], [''], ['configmaps']), r(['get', 'update'], [''], ['configmaps'], ['kube-scheduler'])] },
  { apiVersion: API, kind: 'Role', metadata: meta('system:controller:bootstrap-signer', {}, 'kube-system'), rules: [r(READ, [''], ['secrets'])] },
  { apiVersion: API, kind: 'Role', metadata: meta('system:controller:token-cleaner', {}, 'kube-system'), rules: [r(['delete', 'get', 'list', 'watch'], [''], ['secrets']), r(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events'])] },
  { apiVersion: API, kind: 'Role', metadata: meta('system:controller:bootstrap-signer', {}, 'kube-public'), rules: [r(READ, [''], ['configmaps']), r(['update'], [''], ['configmaps'], ['cluster-info']), r(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events'])] },
];

/** BOOTSTRAP_ROLE_BINDINGS are the default namespaced RoleBindings. */
export const BOOTSTRAP_ROLE_BINDINGS: readonly KubeObject[] = [
  binding('RoleBinding', 'system::extension-apiserver-authentication-reader', 'Role', 'extension-apiserver-authentication-reader', [user('system:kube-controller-manager'), user('system:kube-scheduler')], 'kube-system'),
  binding('RoleBinding', 'system::leader-locking-kube-controller-manager', 'Role', 'system::leader-locking-kube-controller-manager', [user('system:kube-controller-manager'), sa('kube-system', 'kube-controller-manager')], 'kube-system'),
  binding('RoleBinding', 'system::leader-locking-kube-scheduler', 'Role', 'system::leader-locking-kube-scheduler', [user('system:kube-scheduler'), sa('kube-system', 'kube-scheduler')], 'kube-system'),
  binding('RoleBinding', 'system:controller:bootstrap-signer', 'Role', 'system:controller:bootstrap-signer', [sa('kube-system', 'bootstrap-signer')], 'kube-system'),
  binding('RoleBinding', 'system:controller:token-cleaner', 'Role', 'system:controller:token-cleaner', [sa('kube-system', 'token-cleaner')], 'kube-system'),
  binding('RoleBinding', 'system:controller:bootstrap-signer', 'Role', 'system:controller:bootstrap-signer', [sa('kube-system', 'bootstrap-signer')], 'kube-public'),
];
