/**
 * Bootstrap: the objects every cluster has, ensured at each API server start (upstream's system namespaces
 * controller and the `kubernetes` Service reconciler):
 *  - namespaces default, kube-system, kube-public, kube-node-lease (Active);
 *  - the default StorageClass `local-path` (provisioner tkube.io/local-path, WaitForFirstConsumer);
 *  - Service default/kubernetes: ClusterIP = the first address of the service CIDR, port 443 (https) → 6443;
 *  - Endpoints (and EndpointSlice, when served) default/kubernetes pointing at the API server's address.
 * Existing objects are kept; the Endpoints are corrected when the API server's address changed.
 */
import { StatusError } from '../../api/meta/status-error.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { GenericStore } from './generic-store.js';
import { stableJson } from './stable-json.js';

/** SYSTEM_NAMESPACES are created at start. */
export const SYSTEM_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** LOCAL_PATH_STORAGE_CLASS is the default StorageClass's name; LOCAL_PATH_PROVISIONER its provisioner. */
export const LOCAL_PATH_STORAGE_CLASS = 'local-path';
export const LOCAL_PATH_PROVISIONER = 'tkube.io/local-path';

/** BootstrapConfig says where to write and what the API server's endpoint is. */
export interface BootstrapConfig {
  readonly namespaces: GenericStore;
  readonly services: GenericStore;
  readonly endpoints?: GenericStore;
  readonly endpointSlices?: GenericStore;
  /** Where the default `local-path` StorageClass goes (absent: none is created). */
  readonly storageClasses?: GenericStore;
  /** The `kubernetes` Service's cluster IP (the first address of the service CIDR, e.g. 10.43.0.1). */
  readonly kubernetesServiceIp: string;
  /** The address clients in the cluster reach the API server at. */
  readonly advertiseAddress: string;
  /** @default 6443 */
  readonly securePort?: number;
}

async function ensure(store: GenericStore, namespace: string, obj: KubeObject): Promise<void> {
  try {
    // Read first: a create of an existing Service would fail its IP allocation (422) before storage says 409.
    await store.get(namespace, obj.metadata?.name ?? '');
    return;
  } catch (err) {
    if (!(err instanceof StatusError && err.status.code === 404)) throw err;
  }
  try {
    await store.create(namespace, obj);
  } catch (err) {
    if (err instanceof StatusError && err.status.code === 409) return;
    throw err;
  }
}

function record(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** bootstrapCluster creates whatever of the bootstrap objects is missing. */
export async function bootstrapCluster(config: BootstrapConfig): Promise<void> {
  const port = config.securePort ?? 6443;
  for (const name of SYSTEM_NAMESPACES) {
    await ensure(config.namespaces, '', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  }
  if (config.storageClasses) {
    // As k3s ships its local-path provisioner: the default class, provisioned on the node a pod lands on.
    await ensure(config.storageClasses, '', {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: LOCAL_PATH_STORAGE_CLASS, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: LOCAL_PATH_PROVISIONER,
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'WaitForFirstConsumer',
    });
  }
  const labels = { component: 'apiserver', provider: 'kubernetes' };
  await ensure(config.services, 'default', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels },
    spec: {
      type: 'ClusterIP',
      clusterIP: config.kubernetesServiceIp,
      clusterIPs: [config.kubernetesServiceIp],
      ipFamilies: [config.kubernetesServiceIp.includes(':') ? 'IPv6' : 'IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }],
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
    },
    status: { loadBalancer: {} },
  });
  if (config.endpoints) {
    const subsets = [{ addresses: [{ ip: config.advertiseAddress }], ports: [{ name: 'https', port, protocol: 'TCP' }] }];
    await ensure(config.endpoints, 'default', {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
      subsets,
    });
    await config.endpoints.guaranteedUpdate('default', 'kubernetes', (cur) => {
      if (stableJson(cur['subsets']) !== stableJson(subsets)) cur['subsets'] = subsets;
      return cur;
    });
  }
  if (config.endpointSlices) {
    const endpoints = [{ addresses: [config.advertiseAddress], conditions: { ready: true } }];
    await ensure(config.endpointSlices, 'default', {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
      addressType: 'IPv4',
      endpoints,
      ports: [{ name: 'https', port, protocol: 'TCP' }],
    });
    await config.endpointSlices.guaranteedUpdate('default', 'kubernetes', (cur) => {
      if (stableJson(record(cur)['endpoints']) !== stableJson(endpoints)) cur['endpoints'] = endpoints;
      return cur;
    });
  }
}
