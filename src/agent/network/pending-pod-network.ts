/**
 * PendingPodNetwork: a PodNetwork that exists before its real one can be built. The runtime is made before the
 * kubelet registers the Node, but the bridge network needs the Node's `spec.podCIDR`, which node IPAM assigns
 * only after registration. Sandboxes asked for meanwhile wait; once `fail` is called they fail with its reason.
 */
import type { PodNetwork, PodNetworkRequest, PodNetworkResult } from './pod-network.js';

/** PendingPodNetwork forwards to the network given to `resolve`. */
export class PendingPodNetwork implements PodNetwork {
  readonly name = 'pending';
  readonly #ready: Promise<PodNetwork>;
  #resolve: (network: PodNetwork) => void = () => undefined;
  #reject: (err: Error) => void = () => undefined;

  constructor() {
    this.#ready = new Promise<PodNetwork>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // A failure nobody waits for yet is not an unhandled rejection; waiters see it when they ask.
    this.#ready.catch(() => undefined);
  }

  /** resolve hands over the real network. */
  resolve(network: PodNetwork): void {
    this.#resolve(network);
  }

  /** fail makes every waiting and later setUp fail with `err`. */
  fail(err: Error): void {
    this.#reject(err);
  }

  async setUp(request: PodNetworkRequest): Promise<PodNetworkResult> {
    return (await this.#ready).setUp(request);
  }

  async tearDown(request: PodNetworkRequest): Promise<void> {
    // Without a network nothing was set up, so there is nothing to tear down.
    const network = await this.#ready.catch(() => undefined);
    await network?.tearDown(request);
  }
}
