/**
 * kubeletLogStreamer: `pods/log` served the upstream way — the API server calls the pod's node's kubelet
 * (`https://<InternalIP>:<daemonEndpoints.kubeletEndpoint.Port>/containerLogs/<ns>/<pod>/<container>`) with its own
 * client certificate and relays the bytes as they come, so `kubectl logs -f` follows. The kubelet's 4xx answers
 * become a 400 with its message (what upstream relays); an unreachable kubelet is a 500 naming the node.
 */
import { request } from 'node:https';
import { badRequest, internalError, newStatus, StatusError } from '../../api/meta/status-error.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { GenericStore } from '../registry/generic-store.js';
import type { NodeLogStreamer, PodLogOptions } from './pod-log-handler.js';

/** KubeletClientConfig is how the API server authenticates to kubelets and verifies them. */
export interface KubeletClientConfig {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** How long connecting to a kubelet may take. */
const CONNECT_TIMEOUT_MS = 5_000;

interface NodeShape extends KubeObject {
  status?: { addresses?: { type: string; address: string }[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } };
}

/** kubeletLogStreamer builds the NodeLogStreamer over the node store. */
export function kubeletLogStreamer(nodes: () => GenericStore | undefined, client: KubeletClientConfig): NodeLogStreamer {
  return async (pod: KubeObject, options: PodLogOptions, scope) => {
    const nodeName = (pod['spec'] as { nodeName?: string } | undefined)?.nodeName ?? '';
    const store = nodes();
    if (!store) throw internalError('the node store is not served');
    const node = (await store.get('', nodeName)) as NodeShape;
    // Simulated nodes run nothing and serve no kubelet endpoint; their addresses are made up, so never dial them.
    if (node.metadata?.labels?.['node.tkube.io/runtime'] === 'simulated') {
      throw new StatusError(newStatus(503, 'ServiceUnavailable', `node "${nodeName}" is simulated: its pods have no logs`));
    }
    const address = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 10250;
    if (!address) throw internalError(`node "${nodeName}" reports no InternalIP address`);
    const q = new URLSearchParams();
    if (options.follow) q.set('follow', 'true');
    if (options.previous) q.set('previous', 'true');
    if (options.timestamps) q.set('timestamps', 'true');
    if (options.tailLines !== undefined) q.set('tailLines', String(options.tailLines));
    if (options.sinceSeconds !== undefined) q.set('sinceSeconds', String(options.sinceSeconds));
    if (options.sinceTime) q.set('sinceTime', options.sinceTime);
    if (options.limitBytes !== undefined) q.set('limitBytes', String(options.limitBytes));
    const md = pod.metadata ?? {};
    const path = `/containerLogs/${encodeURIComponent(md.namespace ?? '')}/${encodeURIComponent(md.name ?? '')}/${encodeURIComponent(options.container)}?${q.toString()}`;
    const host = address.includes(':') ? `[${address}]` : address;
    await new Promise<void>((resolve, reject) => {
      const req = request(`https://${host}:${port}${path}`, { ca: client.caPem, cert: client.certPem, key: client.keyPem, checkServerIdentity: () => undefined }, (res) => {
        if ((res.statusCode ?? 500) !== 200) {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => reject((res.statusCode ?? 500) < 500 ? badRequest(text.trim()) : internalError(`kubelet on node "${nodeName}": ${text.trim()}`)));
          return;
        }
        scope.res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
        res.pipe(scope.res);
        res.on('end', () => resolve());
        res.on('error', () => resolve());
        scope.res.on('close', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (err) => reject(internalError(`Get "https://${host}:${port}/containerLogs/...": ${err.message}`)));
      // A node without a reachable kubelet (a simulated one, a dead one) must answer, not hang: bound the connect.
      req.on('socket', (socket) => {
        const timer = setTimeout(() => req.destroy(new Error(`dial tcp ${host}:${port}: i/o timeout`)), CONNECT_TIMEOUT_MS);
        socket.once('secureConnect', () => clearTimeout(timer));
        socket.once('close', () => clearTimeout(timer));
      });
      scope.signal.addEventListener('abort', () => req.destroy(), { once: true });
      req.end();
    });
  };
}
