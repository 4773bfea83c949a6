/**
 * kubeletLogStreamer: `pods/log` served the upstream way — the API server calls the pod's node's kubelet
 * (`https://<InternalIP>:<daemonEndpoints.kubeletEndpoint.Port>/containerLogs/<ns>/<pod>/<container>`) with its own
 * client certificate and relays the bytes as they come, so `kubectl logs -f` follows. The kubelet's 4xx answers
 * become a 400 with its message (what upstream relays); an unreachable kubelet is a 500 naming the node.
 */
import { request } from 'node:https';
import { badRequest, internalError } from '../../api/meta/status-error.js';
import { boundConnect, kubeletEndpoint, kubeletTlsOptions, type KubeletClientConfig } from '../kubeletclient/kubelet-endpoint.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { GenericStore } from '../registry/generic-store.js';
import type { NodeLogStreamer, PodLogOptions } from './pod-log-handler.js';

export type { KubeletClientConfig } from '../kubeletclient/kubelet-endpoint.js';

/** kubeletLogStreamer builds the NodeLogStreamer over the node store. */
export function kubeletLogStreamer(nodes: () => GenericStore | undefined, client: KubeletClientConfig): NodeLogStreamer {
  return async (pod: KubeObject, options: PodLogOptions, scope) => {
    const { nodeName, host, port } = await kubeletEndpoint(nodes(), pod, 'its pods have no logs');
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
    await new Promise<void>((resolve, reject) => {
      const req = request(`https://${host}:${port}${path}`, kubeletTlsOptions(client), (res) => {
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
      req.on('socket', (socket) => boundConnect(socket, { nodeName, host, port }, (err) => req.destroy(err)));
      scope.signal.addEventListener('abort', () => req.destroy(), { once: true });
      req.end();
    });
  };
}
