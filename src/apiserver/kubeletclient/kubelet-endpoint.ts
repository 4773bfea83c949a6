/**
 * kubeletEndpoint: where the API server reaches a pod's node kubelet — the Node's InternalIP and its advertised
 * `daemonEndpoints.kubeletEndpoint.Port` — shared by pods/log and the streaming subresources (exec, attach,
 * portforward), so both dial the same address with the same client certificate.
 */
import type { Socket } from 'node:net';
import { internalError, newStatus, StatusError } from '../../api/meta/status-error.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { GenericStore } from '../registry/generic-store.js';

/** KubeletClientConfig is how the API server authenticates to kubelets and verifies them. */
export interface KubeletClientConfig {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** How long connecting to a kubelet may take. */
export const KUBELET_CONNECT_TIMEOUT_MS = 5_000;

/** KubeletEndpoint is a resolved kubelet address; `host` is bracketed for IPv6 and fit for a URL. */
export interface KubeletEndpoint {
  readonly nodeName: string;
  readonly host: string;
  readonly port: number;
}

interface NodeShape extends KubeObject {
  status?: { addresses?: { type: string; address: string }[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } };
}

/**
 * kubeletEndpoint resolves the kubelet of the pod's node. Throws a StatusError: 500 when the node store is not
 * served or the node has no InternalIP, 503 for a simulated node (its addresses are made up: never dial them),
 * NotFound when the node object is gone. `what` names the refused action in the simulated-node message.
 */
export async function kubeletEndpoint(nodes: GenericStore | undefined, pod: KubeObject, what: string): Promise<KubeletEndpoint> {
  const nodeName = (pod['spec'] as { nodeName?: string } | undefined)?.nodeName ?? '';
  if (!nodes) throw internalError('the node store is not served');
  const node = (await nodes.get('', nodeName)) as NodeShape;
  if (node.metadata?.labels?.['node.tkube.io/runtime'] === 'simulated') {
    throw new StatusError(newStatus(503, 'ServiceUnavailable', `node "${nodeName}" is simulated: ${what}`));
  }
  const address = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 10250;
  if (!address) throw internalError(`node "${nodeName}" reports no InternalIP address`);
  return { nodeName, host: address.includes(':') ? `[${address}]` : address, port };
}

/** kubeletTlsOptions are the TLS options of every API server → kubelet connection (client cert; the CA is pinned). */
export function kubeletTlsOptions(client: KubeletClientConfig): { ca: string; cert: string; key: string; checkServerIdentity: () => undefined } {
  return { ca: client.caPem, cert: client.certPem, key: client.keyPem, checkServerIdentity: () => undefined };
}

/**
 * boundConnect bounds the TLS handshake of a request's socket by KUBELET_CONNECT_TIMEOUT_MS: a node without a
 * reachable kubelet (a dead one) must answer, not hang. `fail` receives the timeout error.
 */
export function boundConnect(socket: Socket, endpoint: KubeletEndpoint, fail: (err: Error) => void): void {
  const timer = setTimeout(() => fail(new Error(`dial tcp ${endpoint.host}:${endpoint.port}: i/o timeout`)), KUBELET_CONNECT_TIMEOUT_MS);
  socket.once('secureConnect', () => clearTimeout(timer));
  socket.once('close', () => clearTimeout(timer));
}

