/**
 * startClusterDns: the cluster DNS of `tkube server`, run inside the server process and shown to users the way
 * kubeadm and k3s clusters show CoreDNS:
 *  - a ClusterDnsZone fed by the process's shared Service and EndpointSlice informers, served by a DnsServer on the
 *    node address (`--cluster-dns-port`, 53 by default) over UDP and TCP, other names forwarded to the host's
 *    resolvers;
 *  - the Service `kube-system/kube-dns` (labels `k8s-app: kube-dns`, `kubernetes.io/name: CoreDNS`) at the DNS
 *    service IP (`--cluster-dns`, the 10th address of `--service-cidr`), ports dns/53/UDP, dns-tcp/53/TCP and
 *    metrics/9153/TCP (target port `metrics`: the DNS metrics listener of `--cluster-dns-metrics-port`, when one
 *    runs), ensured idempotently through the API at every start;
 *  - with a node in this process: a mirror pod `kube-system/kube-dns-<node>` (hostNetwork, its dns and dns-tcp
 *    container ports = the bound port), so the Service selects it and the endpoints controllers give the Service
 *    the node IP and the real port, as for any pod;
 *  - without a node (`--disable-agent`, or no runtime): no pod can honestly be shown on a node that does not
 *    exist (pod GC would delete it anyway), so the Service has no selector and the server writes its one
 *    EndpointSlice itself (managed-by `tkube-server`) with the listening address and port.
 *
 * A DNS port that cannot be bound (not root for port 53, or taken) is a warning, not a failed server: the API is
 * still useful, and the message says which flag to use.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RealClock } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import { isAlreadyExists, isNotFound } from '../client/api-error.js';
import type { InformerFactory } from '../client/informer/informer-factory.js';
import type { RestClient } from '../client/rest-client.js';
import type { KubeObject } from '../api/meta/types.js';
import { TKUBE_VERSION } from '../api/version.js';
import { formatIPv4, parseIPv4Cidr } from '../base/net/ipv4-cidr.js';
import { ClusterDnsZone } from '../dns/cluster-dns-zone.js';
import type { DnsMetrics } from '../dns/dns-metrics.js';
import { DnsServer } from '../dns/dns-server.js';
import { hostUpstreams, type Upstream } from '../dns/upstream-resolvers.js';
import { feedZone } from '../dns/zone-feed.js';
import { MirrorPodPublisher } from './mirror-pod.js';

const NAMESPACE = 'kube-system';
const SERVICE_NAME = 'kube-dns';
const SERVICES = { version: 'v1', resource: 'services', namespace: NAMESPACE } as const;
const SLICES = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', namespace: NAMESPACE } as const;
/** The slice the server writes when no node runs here (see the file comment). */
const SERVER_SLICE = 'kube-dns-tkube-server';
const LABELS = { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' } as const;
const IMAGE = `tkube/cluster-dns:${TKUBE_VERSION}`;

/** clusterDnsAddressOf is the conventional DNS Service IP: the 10th address of the service range (10.43.0.10). */
export function clusterDnsAddressOf(serviceCidr: string): string {
  const { network, bits } = parseIPv4Cidr(serviceCidr);
  if (bits > 28) throw new Error(`Cannot pick the cluster DNS address from "${serviceCidr}": the range is too small (set --cluster-dns)`);
  return formatIPv4(network + 10);
}

/** ClusterDnsBootConfig says how to run the cluster DNS. */
export interface ClusterDnsBootConfig {
  readonly client: RestClient;
  readonly informers: InformerFactory;
  /** The kube-dns Service's cluster IP. */
  readonly dnsIP: string;
  /** @default "cluster.local" */
  readonly domain?: string;
  /** Where the DNS server listens (the node IP). */
  readonly listenAddress: string;
  /** 0 = any free port. */
  readonly port: number;
  /** Where the DNS server counts its queries. */
  readonly metrics?: DnsMetrics;
  /** `--cluster-dns-metrics-port`: serve `metrics` at /metrics on this port of `listenAddress` (0 = any free). */
  readonly metricsPort?: number;
  /** The node running in this process, if any. */
  readonly node?: { readonly nodeName: string; readonly nodeIP: string };
  /** @default the host's /etc/resolv.conf resolvers */
  readonly upstreams?: readonly Upstream[];
  readonly log: Logger;
  readonly signal: AbortSignal;
}

/** RunningClusterDns is a started cluster DNS. */
export interface RunningClusterDns {
  readonly port: number;
  stop(): Promise<void>;
}

/** startClusterDns starts the server and publishes it; undefined when the DNS port cannot be bound (logged). */
export async function startClusterDns(c: ClusterDnsBootConfig): Promise<RunningClusterDns | undefined> {
  const domain = c.domain ?? 'cluster.local';
  const zone = new ClusterDnsZone({ domain, dnsIP: c.dnsIP });
  // Answers wait for the first full list: before it every Service name would be NXDOMAIN (and cached so by clients).
  if (!(await feedZone(zone, c.informers, c.signal))) return undefined;
  const upstreams = c.upstreams ?? hostUpstreams([c.dnsIP, c.listenAddress]);
  const server = new DnsServer({ zone, address: c.listenAddress, port: c.port, upstreams, ...(c.metrics ? { metrics: c.metrics } : {}), log: c.log });
  let port: number;
  try {
    port = await server.start();
  } catch (err) {
    c.log.warn('Cluster DNS is not running', { err: err instanceof Error ? err.message : String(err) });
    return undefined;
  }
  c.log.info('Cluster DNS listening', { address: c.listenAddress, port, domain, serviceIP: c.dnsIP, upstreams: upstreams.map((u) => `${u.host}:${u.port}`) });
  const metricsServer = c.metrics && c.metricsPort !== undefined ? await serveMetrics(c.metrics, c.listenAddress, c.metricsPort, c.log) : undefined;
  const metricsPort = metricsServer ? (metricsServer.address() as AddressInfo).port : undefined;
  let publisher: MirrorPodPublisher | undefined;
  try {
    await ensureService(c.client, c.dnsIP, c.node !== undefined, c.log);
    if (c.node) {
      await deleteIfPresent(c.client, { ...SLICES, name: SERVER_SLICE });
      publisher = new MirrorPodPublisher({
        client: c.client,
        namespace: NAMESPACE,
        name: `kube-dns-${c.node.nodeName}`,
        nodeName: c.node.nodeName,
        nodeIP: c.node.nodeIP,
        labels: { 'k8s-app': 'kube-dns' },
        priorityClassName: 'system-cluster-critical',
        containers: [{ name: 'dns', image: IMAGE, ports: [{ name: 'dns', containerPort: port, protocol: 'UDP' }, { name: 'dns-tcp', containerPort: port, protocol: 'TCP' }, ...(metricsPort !== undefined ? [{ name: 'metrics', containerPort: metricsPort, protocol: 'TCP' as const }] : [])] }],
        clock: new RealClock(),
        log: c.log,
      });
      await publisher.start();
    } else {
      await ensureServerSlice(c.client, c.listenAddress, port, metricsPort);
    }
  } catch (err) {
    // The server answers anyway; the API objects are retried at the next start (the mirror pod every resync).
    c.log.warn('Cannot publish the kube-dns Service', { err: err instanceof Error ? err.message : String(err) });
  }
  return {
    port,
    stop: async () => {
      publisher?.stop();
      await server.stop();
      if (metricsServer) await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
    },
  };
}

/** ensureService creates or converges `kube-system/kube-dns`; a Service at another cluster IP is replaced. */
async function ensureService(client: RestClient, dnsIP: string, withSelector: boolean, log: Logger): Promise<void> {
  const path = { ...SERVICES, name: SERVICE_NAME };
  const ports = [
    { name: 'dns', port: 53, protocol: 'UDP', targetPort: 'dns' },
    { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 'dns-tcp' },
    // Named: it leads to the metrics listener when `--cluster-dns-metrics-port` runs one, and nowhere otherwise.
    { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 'metrics' },
  ];
  const desired = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: SERVICE_NAME, namespace: NAMESPACE, labels: { ...LABELS }, annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' } },
    spec: { type: 'ClusterIP', clusterIP: dnsIP, clusterIPs: [dnsIP], ...(withSelector ? { selector: { 'k8s-app': 'kube-dns' } } : {}), ports },
  } as KubeObject;
  let current: { spec?: { clusterIP?: string } } | undefined;
  try {
    current = (await client.get(path)) as typeof current;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (current && current.spec?.clusterIP !== dnsIP) {
    log.warn('Replacing the kube-dns Service: its cluster IP is not the cluster DNS address', { clusterIP: current.spec?.clusterIP, want: dnsIP });
    await deleteIfPresent(client, path);
    current = undefined;
  }
  if (!current) {
    try {
      await client.create(SERVICES, desired);
      return;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
  await client.patch(path, 'merge', { metadata: { labels: { ...LABELS } }, spec: { selector: withSelector ? { 'k8s-app': 'kube-dns' } : null, ports } });
}

/** ensureServerSlice writes the EndpointSlice of a selector-less kube-dns Service (no node in this process). */
async function ensureServerSlice(client: RestClient, address: string, port: number, metricsPort: number | undefined): Promise<void> {
  const body = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: SERVER_SLICE, namespace: NAMESPACE, labels: { 'kubernetes.io/service-name': SERVICE_NAME, 'endpointslice.kubernetes.io/managed-by': 'tkube-server' } },
    addressType: address.includes(':') ? 'IPv6' : 'IPv4',
    endpoints: [{ addresses: [address], conditions: { ready: true, serving: true, terminating: false } }],
    ports: [
      { name: 'dns', port, protocol: 'UDP' },
      { name: 'dns-tcp', port, protocol: 'TCP' },
      ...(metricsPort !== undefined ? [{ name: 'metrics', port: metricsPort, protocol: 'TCP' }] : []),
    ],
  } as KubeObject;
  try {
    await client.create(SLICES, body);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const current = await client.get({ ...SLICES, name: SERVER_SLICE });
    await client.update({ ...SLICES, name: SERVER_SLICE }, { ...body, metadata: { ...(body.metadata ?? {}), resourceVersion: current.metadata?.resourceVersion } } as KubeObject);
  }
}

/**
 * serveMetrics answers `GET /metrics` with the DNS figures on address:port (CoreDNS's `prometheus :9153`); anything
 * else is 404. A port that cannot be bound is a warning: the figures stay in the server's /metrics.
 */
async function serveMetrics(metrics: DnsMetrics, address: string, port: number, log: Logger): Promise<Server | undefined> {
  const server = createServer((req, res) => {
    req.resume();
    if ((req.url ?? '').split('?')[0] !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found\n');
      return;
    }
    metrics.render().then(
      (text) => res.writeHead(200, { 'Content-Type': metrics.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    log.warn('Cannot serve the cluster DNS metrics port; they stay in the server\'s /metrics', { address: `${address}:${port}`, err: err instanceof Error ? err.message : String(err) });
    return undefined;
  }
  log.info('Cluster DNS metrics listening', { address: `${address}:${(server.address() as AddressInfo).port}`, path: '/metrics' });
  return server;
}

async function deleteIfPresent(client: RestClient, path: { version: string; resource: string; namespace: string; name: string; group?: string }): Promise<void> {
  try {
    await client.delete(path);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
