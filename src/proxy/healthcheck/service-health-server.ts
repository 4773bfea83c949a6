/**
 * ServiceHealthServer: kube-proxy's per-Service health check endpoints. A LoadBalancer Service with
 * `externalTrafficPolicy: Local` gets a `spec.healthCheckNodePort` from the API server; every node's proxy answers
 * HTTP on that port so that a load balancer sends traffic only to nodes that have an endpoint of the Service (the
 * others would drop it: Local never forwards to another node).
 *
 * Contract (upstream's response, so existing load balancer health checks read it):
 *  - any path, any method: `200` when this node has at least one ready local endpoint of the Service and the last
 *    proxy sync succeeded, else `503`; body `{"service":{"namespace":…,"name":…},"localEndpoints":N,
 *    "serviceProxyHealthy":true|false}`, `Content-Type: application/json`, `X-Content-Type-Options: nosniff` and
 *    `X-Load-Balancing-Endpoint-Weight: N`.
 *  - N counts the distinct addresses of this node's ready endpoints over all the Service's ports.
 *  - Listeners follow the snapshots: one per health check port on each configured address, opened when a Service
 *    asks for it, closed when none does. A port that is in use (another node on this machine sharing the address,
 *    or any program) is one warning, retried quietly at each sync; never a failed sync.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../base/log/logger.js';
import type { ProxySnapshot } from '../proxy-state.js';

/** ServiceHealth is what one health check port reports. */
export interface ServiceHealth {
  readonly namespace: string;
  readonly name: string;
  readonly localEndpoints: number;
}

/** healthChecksOf: the health check ports a snapshot asks for, each with its Service and local endpoint count. Pure. */
export function healthChecksOf(snapshot: ProxySnapshot): Map<number, ServiceHealth> {
  const byPort = new Map<number, { namespace: string; name: string; ips: Set<string> }>();
  for (const sp of snapshot.servicePorts) {
    if (sp.healthCheckNodePort === undefined) continue;
    let entry = byPort.get(sp.healthCheckNodePort);
    if (!entry) {
      entry = { namespace: sp.namespace, name: sp.name, ips: new Set() };
      byPort.set(sp.healthCheckNodePort, entry);
    }
    // Two Services cannot hold one port (the API server allocates it); the first one's ports are the ones counted.
    if (entry.namespace !== sp.namespace || entry.name !== sp.name) continue;
    for (const ep of sp.endpoints) if (ep.isLocal && ep.ready) entry.ips.add(ep.ip);
  }
  return new Map([...byPort].map(([port, e]) => [port, { namespace: e.namespace, name: e.name, localEndpoints: e.ips.size }]));
}

/** healthResponse: the status and body for one Service's health check. */
export function healthResponse(health: ServiceHealth, proxyHealthy: boolean): { status: number; body: string } {
  const body = JSON.stringify({ service: { namespace: health.namespace, name: health.name }, localEndpoints: health.localEndpoints, serviceProxyHealthy: proxyHealthy });
  return { status: health.localEndpoints > 0 && proxyHealthy ? 200 : 503, body };
}

/** ServiceHealthServerConfig constructs a ServiceHealthServer. */
export interface ServiceHealthServerConfig {
  /** The addresses to listen on (the node's addresses, as the NodePorts). */
  readonly addresses: readonly string[];
  readonly log: Logger;
}

/** ServiceHealthServer: see the file comment. */
export class ServiceHealthServer {
  readonly #c: ServiceHealthServerConfig;
  /** Current figures by port, read by the listeners at each request. */
  #health = new Map<number, ServiceHealth>();
  #proxyHealthy = true;
  /** Open listeners by `<address>|<port>`. */
  readonly #servers = new Map<string, Server>();
  /** `<address>|<port>` found in use (warned once). */
  readonly #busy = new Set<string>();

  constructor(config: ServiceHealthServerConfig) {
    this.#c = config;
  }

  /** The open listeners (tests, diagnostics). */
  listeners(): { host: string; port: number }[] {
    return [...this.#servers.values()].map((s) => s.address() as AddressInfo).map((a) => ({ host: a.address, port: a.port }));
  }

  /** setProxyHealthy records whether the last proxy sync succeeded (a failing proxy fails every health check). */
  setProxyHealthy(healthy: boolean): void {
    this.#proxyHealthy = healthy;
  }

  /** sync takes a snapshot the proxier has just programmed: figures swap at once, listeners open and close. */
  async sync(snapshot: ProxySnapshot): Promise<void> {
    this.#proxyHealthy = true;
    this.#health = healthChecksOf(snapshot);
    const wanted = new Set<string>();
    for (const port of this.#health.keys()) for (const host of this.#c.addresses) wanted.add(`${host}|${port}`);
    for (const [key, server] of this.#servers) {
      if (wanted.has(key)) continue;
      server.close();
      this.#servers.delete(key);
    }
    for (const key of this.#busy) if (!wanted.has(key)) this.#busy.delete(key);
    await Promise.all([...wanted].filter((k) => !this.#servers.has(k)).map((k) => this.#open(k)));
  }

  /** stop closes every listener. */
  async stop(): Promise<void> {
    const servers = [...this.#servers.values()];
    this.#servers.clear();
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    })));
  }

  async #open(key: string): Promise<void> {
    const [host = '', portText = ''] = key.split('|');
    const port = Number(portText);
    const server = createServer((req, res) => {
      const health = this.#health.get(port);
      req.resume();
      if (!health) {
        res.writeHead(503, { 'Content-Type': 'text/plain' }).end('no such service\n');
        return;
      }
      const { status, body } = healthResponse(health, this.#proxyHealthy);
      res.writeHead(status, {
        'Content-Type': 'application/json',
        'X-Content-Type-Options': 'nosniff',
        'X-Load-Balancing-Endpoint-Weight': String(health.localEndpoints),
      }).end(body);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port, exclusive: true }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      const address = `${host}:${port}`;
      if (!this.#busy.has(key)) this.#c.log.warn('Cannot serve a Service health check port; retrying at each sync', { address, error: err instanceof Error ? err.message : String(err) });
      this.#busy.add(key);
      return;
    }
    server.on('error', (err) => this.#c.log.warn('Service health check listener failed', { error: err.message }));
    if (this.#busy.delete(key)) this.#c.log.info('Serving a Service health check port that was in use', { address: `${host}:${port}` });
    this.#servers.set(key, server);
  }
}
