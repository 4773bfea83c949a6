/**
 * The pod network of a CRI node (containerd): the same bridge, routes and masquerade a runc node has, with
 * containerd's CNI connecting the pods to that bridge once it has the Node's pod CIDRs. CriPodNetworkGate holds the
 * node's sandboxes until then; startCriPodNetwork makes the network and opens the gate.
 */
import type { Clock } from '../../base/clock/clock.js';
import type { Logger } from '../../base/log/logger.js';
import type { RestClient } from '../../client/rest-client.js';
import type { PortMapping } from '../cri/runtime-service.js';
import type { CriRuntimeService, HostPortPublisher } from '../runtime/cri/cri-runtime-service.js';
import { BridgeNetwork } from './bridge-network.js';
import { NodeRouteController } from './node-routes.js';

/** How long containerd may take to load the network it rendered from the pod CIDRs (its conf dir watcher). */
const CRI_NETWORK_READY_TIMEOUT_MS = 15_000;

/**
 * CriPodNetworkGate holds a CRI node's sandboxes until the runtime has its pod CIDRs (CriRuntimeService's
 * `podNetworkReady`). Failing it lets them go ahead: the runtime's own CNI state then decides, and says why not.
 */
export class CriPodNetworkGate implements HostPortPublisher {
  readonly ready: Promise<void>;
  /** The node's bridge network, once made (`attach`): it keeps the hostPorts of containerd's pods in its table. */
  #bridge: BridgeNetwork | undefined;
  /** Sandboxes stopped before the bridge was made (a restarted node): their records go once it is. */
  readonly #unpublished = new Set<string>();
  #resolve: () => void = () => undefined;
  #reject: (err: Error) => void = () => undefined;

  constructor() {
    this.ready = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.ready.catch(() => undefined);
  }

  open(): void {
    this.#resolve();
  }

  fail(err: Error): void {
    this.#reject(err);
  }

  async attach(bridge: BridgeNetwork): Promise<void> {
    this.#bridge = bridge;
    for (const id of this.#unpublished) await bridge.unpublishHostPorts(id);
    this.#unpublished.clear();
  }

  async publishHostPorts(sandboxId: string, ip: string, portMappings: readonly PortMapping[]): Promise<void> {
    if (!this.#bridge) throw new Error('the node has no pod network (no pod CIDR)');
    await this.#bridge.publishHostPorts(sandboxId, ip, portMappings);
  }

  async unpublishHostPorts(sandboxId: string): Promise<void> {
    if (this.#bridge) await this.#bridge.unpublishHostPorts(sandboxId);
    else this.#unpublished.add(sandboxId);
  }
}

/** CriPodNetworkConfig is what startCriPodNetwork needs: the node, its ranges, the runtime and the gate. */
export interface CriPodNetworkConfig {
  readonly client: RestClient;
  readonly nodeName: string;
  readonly nodeIP: string;
  /** The bridge network's record directory (`<agent dir>/network`). */
  readonly dir: string;
  /** The bridge's name, the one containerd's CNI template names. */
  readonly bridge: string;
  /** The Node's pod CIDRs (IPv4, and IPv6 on a dual-stack node). */
  readonly podCidr: string;
  readonly podCidrV6?: string;
  /** The cluster's IPv4 pod range (and IPv6 one), for the masquerade and the routes to other nodes. */
  readonly clusterCidr: string;
  readonly clusterCidrV6?: string;
  readonly runtime: Pick<CriRuntimeService, 'updatePodCidrs' | 'networkStatus'>;
  readonly gate: CriPodNetworkGate;
  readonly clock: Clock;
  readonly log: Logger;
}

/**
 * startCriPodNetwork gives a CRI node the pod network a runc node has, once the Node has its pod CIDRs: the bridge
 * (BridgeNetwork: the gateway addresses, forwarding, the masquerade table, and the record clean-up reads), the pod
 * CIDRs handed to the runtime (CRI UpdateRuntimeConfig, upstream's kubelet → containerd path: containerd renders its
 * CNI conf_template into a bridge plugin network on that bridge, see cni-network-config.ts), and the routes to other
 * nodes. Sandboxes are let through once the runtime reports NetworkReady (or after a timeout, with a warning: a
 * containerd without our template keeps its own network config).
 */
export async function startCriPodNetwork(c: CriPodNetworkConfig): Promise<NodeRouteController> {
  const log = c.log.child('network');
  const { podCidr, podCidrV6 } = c;
  // Made before containerd's first sandbox, so the bridge plugin finds it with the very addresses it would add. No
  // warm namespaces: containerd makes its sandboxes' namespaces itself.
  const bridge = new BridgeNetwork({
    dir: c.dir,
    podCidr,
    ...(podCidrV6 ? { podCidrV6 } : {}),
    clusterCidr: c.clusterCidr,
    bridgeName: c.bridge,
    warmNetns: 0,
    table: `tkube-${c.nodeName.replace(/[^A-Za-z0-9_-]/g, '-')}`.slice(0, 64),
    log,
  });
  await bridge.start();
  await c.gate.attach(bridge);
  const podCidrs = [podCidr, ...(podCidrV6 ? [podCidrV6] : [])];
  await c.runtime.updatePodCidrs(podCidrs);
  const deadline = c.clock.now() + CRI_NETWORK_READY_TIMEOUT_MS;
  for (;;) {
    const status = await c.runtime.networkStatus().catch((err: unknown) => ({ ready: false, message: err instanceof Error ? err.message : String(err) }));
    if (status.ready) {
      log.info('Container runtime network ready', { podCIDRs: podCidrs, bridge: c.bridge });
      break;
    }
    if (c.clock.now() >= deadline) {
      log.warn('Container runtime network not ready: pods cannot start until its CNI config is in place', { reason: status.message });
      break;
    }
    await new Promise<void>((resolve) => c.clock.setTimer(100, resolve));
  }
  c.gate.open();
  const routes = new NodeRouteController({
    client: c.client,
    nodeName: c.nodeName,
    nodeIP: c.nodeIP,
    podCidr,
    clusterCidr: c.clusterCidr,
    ...(podCidrV6 && c.clusterCidrV6 ? { podCidrV6, clusterCidrV6: c.clusterCidrV6 } : {}),
    clock: c.clock,
    log: c.log.child('routes'),
  });
  await routes.start();
  return routes;
}
