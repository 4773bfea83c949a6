/**
 * NodeLease: the node's heartbeat, a coordination.k8s.io/v1 Lease named after the node in `kube-node-lease`,
 * owned by the Node, renewed every 10 s (kubelet's default; the lease lasts 40 s). The node lifecycle controller
 * reads renewTime to tell live nodes from dead ones.
 */
import type { KubeObject } from '../api/meta/types.js';
import { isAlreadyExists, isNotFound } from '../client/api-error.js';
import type { RestClient } from '../client/rest-client.js';

/** NODE_LEASE_NAMESPACE holds node leases. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** LEASE_DURATION_SECONDS is how long a lease counts after its renewal (kubelet's default). */
export const LEASE_DURATION_SECONDS = 40;
/** LEASE_RENEW_INTERVAL_MS is how often the lease is renewed (a quarter of its duration, as kubelet). */
export const LEASE_RENEW_INTERVAL_MS = 10_000;

const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: NODE_LEASE_NAMESPACE } as const;

/** microTime renders a MicroTime (RFC 3339 with microseconds). */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** renewNodeLease creates or renews the lease of a node; `node` supplies the owner reference. */
export async function renewNodeLease(client: RestClient, node: KubeObject, nowMs: number): Promise<void> {
  const name = node.metadata?.name ?? '';
  try {
    await client.patch({ ...LEASES, name }, 'merge', { spec: { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: microTime(nowMs) } });
    return;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const lease: KubeObject = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name,
      namespace: NODE_LEASE_NAMESPACE,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata?.uid ?? '' }],
    },
    spec: { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: microTime(nowMs) },
  };
  try {
    await client.create(LEASES, lease);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}
