/**
 * MirrorPodPublisher: shows a system component that runs inside the tkube process (cluster DNS now, the service
 * proxy later) as a pod in the API, the way a kubelet publishes a static pod: a mirror pod (annotation
 * `kubernetes.io/config.mirror`) bound to the node, `hostNetwork: true`, its status Running and Ready with the
 * node's IP. Users see it in `kubectl get pods -n kube-system`, and a Service selecting its labels gets the node IP
 * and the component's real ports as endpoints from the ordinary endpoints controllers.
 *
 * The kubelet never runs a mirror pod (kubelet.ts skips them): the component is already running. The publisher
 * checks the pod every `resyncMs` and puts it back — recreated when deleted or when its spec no longer matches,
 * status rewritten when someone (the node lifecycle controller after a restart) marked it not ready — so the API
 * converges to "the component is up" while this process runs. It leaves the pod behind on stop, as a stopped
 * kubelet leaves its mirror pods; the node going NotReady tells the rest.
 */
import { createHash } from 'node:crypto';
import { MIRROR_POD_ANNOTATION } from '../api/core/mirror-pod.js';
import type { KubeObject } from '../api/meta/types.js';
import type { Clock, Timer } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import { isAlreadyExists, isNotFound } from '../client/api-error.js';
import type { RestClient } from '../client/rest-client.js';

const PODS = { version: 'v1', resource: 'pods' } as const;

/** MirrorPodContainer is one container of the component, for display and for named target ports. */
export interface MirrorPodContainer {
  readonly name: string;
  readonly image: string;
  readonly ports?: readonly { readonly name: string; readonly containerPort: number; readonly protocol: 'TCP' | 'UDP' }[];
}

/** MirrorPodConfig says what to publish. */
export interface MirrorPodConfig {
  readonly client: RestClient;
  readonly namespace: string;
  readonly name: string;
  readonly nodeName: string;
  readonly nodeIP: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly containers: readonly MirrorPodContainer[];
  readonly priorityClassName?: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** @default 10000 */
  readonly resyncMs?: number;
}

interface PodView extends KubeObject {
  spec?: { containers?: unknown[] };
  status?: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
}

/** MirrorPodPublisher keeps one mirror pod in the API; see the file comment. */
export class MirrorPodPublisher {
  readonly #c: MirrorPodConfig;
  readonly #hash: string;
  readonly #startedAt: string;
  #timer: Timer | undefined;
  #stopped = false;

  constructor(config: MirrorPodConfig) {
    this.#c = config;
    // The annotation's value is the static pod's hash upstream; here a hash of what we publish, so a changed
    // spec (a new port) is noticed and the pod replaced.
    this.#hash = createHash('sha256').update(JSON.stringify([config.nodeName, config.nodeIP, config.labels, config.containers])).digest('hex').slice(0, 32);
    this.#startedAt = new Date(config.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
  }

  /** start publishes once (errors are logged, and retried at the next resync) and keeps the pod in place. */
  async start(): Promise<void> {
    await this.#syncLogged();
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = this.#c.clock.setTimer(this.#c.resyncMs ?? 10_000, () => {
      void this.#syncLogged().finally(() => this.#schedule());
    });
  }

  async #syncLogged(): Promise<void> {
    try {
      await this.sync();
    } catch (err) {
      this.#c.log.warn('Cannot publish mirror pod; retrying', { pod: `${this.#c.namespace}/${this.#c.name}`, err: err instanceof Error ? err.message : String(err) });
    }
  }

  /** sync makes the pod and its status what they should be. */
  async sync(): Promise<void> {
    const path = { ...PODS, namespace: this.#c.namespace, name: this.#c.name };
    let pod: PodView | undefined;
    try {
      pod = (await this.#c.client.get(path)) as PodView;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (pod && (pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== this.#hash || pod.metadata?.deletionTimestamp)) {
      // Pods are immutable in the parts that changed: replace it.
      try {
        await this.#c.client.delete(path, { gracePeriodSeconds: 0, ...(pod.metadata?.uid ? { preconditions: { uid: pod.metadata.uid } } : {}) });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      pod = undefined;
    }
    if (!pod) {
      try {
        pod = (await this.#c.client.create({ ...PODS, namespace: this.#c.namespace }, this.#desired())) as PodView;
      } catch (err) {
        // A deleted pod may linger for a moment; the next resync creates it.
        if (isAlreadyExists(err)) return;
        throw err;
      }
    }
    if (this.#statusCurrent(pod)) return;
    await this.#c.client.patch({ ...path, subresource: 'status' }, 'merge', { status: this.#status() });
  }

  #desired(): KubeObject {
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: this.#c.name, namespace: this.#c.namespace, labels: { ...this.#c.labels }, annotations: { [MIRROR_POD_ANNOTATION]: this.#hash, 'kubernetes.io/config.source': 'tkube' } },
      spec: {
        nodeName: this.#c.nodeName,
        hostNetwork: true,
        dnsPolicy: 'Default',
        ...(this.#c.priorityClassName ? { priorityClassName: this.#c.priorityClassName } : {}),
        tolerations: [{ operator: 'Exists' }],
        containers: this.#c.containers.map((c) => ({
          name: c.name,
          image: c.image,
          ...(c.ports ? { ports: c.ports.map((p) => ({ name: p.name, containerPort: p.containerPort, hostPort: p.containerPort, protocol: p.protocol })) } : {}),
        })),
      },
    } as KubeObject;
  }

  #statusCurrent(pod: PodView): boolean {
    const s = pod.status;
    const ready = s?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    return s?.phase === 'Running' && s.podIP === this.#c.nodeIP && ready;
  }

  #status(): Record<string, unknown> {
    const now = new Date(this.#c.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    const condition = (type: string): Record<string, string> => ({ type, status: 'True', lastTransitionTime: now });
    return {
      phase: 'Running',
      conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(condition),
      hostIP: this.#c.nodeIP,
      hostIPs: [{ ip: this.#c.nodeIP }],
      podIP: this.#c.nodeIP,
      podIPs: [{ ip: this.#c.nodeIP }],
      startTime: this.#startedAt,
      qosClass: 'BestEffort',
      containerStatuses: this.#c.containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: '',
        containerID: `tkube://${this.#c.name}/${c.name}`,
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: this.#startedAt } },
      })),
    };
  }
}
