/**
 * PodNetwork: what gives a pod sandbox its network (CNI's role). A runtime creates the sandbox's network
 * namespace (or has setUp create it: `createNetns`), asks the PodNetwork to connect it, and asks again to
 * disconnect it before deleting the namespace.
 *
 * Contracts:
 *  - With `createNetns`, the network may hand the sandbox a namespace it made ahead of need instead of making the
 *    requested one (PodNetworkResult.netnsPath).
 *  - `setUp` is idempotent per sandbox ID: called again (an agent restart) it returns the same IPs.
 *  - `tearDown` releases everything `setUp` made (IP, veth, hostPort rules) and is a no-op for unknown IDs.
 *  - Implementations keep their state on disk under their own directory, so a restarted agent knows what it
 *    handed out.
 */
import type { PortMapping } from '../cri/runtime-service.js';

/** PodNetworkRequest identifies the sandbox to connect. */
export interface PodNetworkRequest {
  readonly sandboxId: string;
  readonly podNamespace: string;
  readonly podName: string;
  readonly podUID: string;
  /** The sandbox's network namespace, e.g. `/run/netns/tkube-<id>`. */
  readonly netnsPath: string;
  /**
   * The namespace does not exist yet: setUp creates it (with loopback up) in the same `ip` runs that connect it,
   * where the runtime would have spent two more. Only on a sandbox's first set-up; the runtime still deletes it.
   */
  readonly createNetns?: boolean;
  readonly portMappings: readonly PortMapping[];
}

/** PodNetworkResult is the pod's addresses, primary first. */
export interface PodNetworkResult {
  readonly ips: readonly string[];
  /**
   * Set when `createNetns` was asked and the network gave the sandbox another namespace than `netnsPath` (one made
   * ahead of need): the runtime records this one, and deletes it with the sandbox. The requested one was not made.
   */
  readonly netnsPath?: string;
}

/** PodNetwork connects pod sandboxes. */
export interface PodNetwork {
  /** name is shown in logs and docs (`bridge`, `loopback`). */
  readonly name: string;
  setUp(request: PodNetworkRequest): Promise<PodNetworkResult>;
  tearDown(request: PodNetworkRequest): Promise<void>;
}
