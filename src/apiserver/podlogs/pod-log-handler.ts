/**
 * PodLogHandler serves `pods/log` (`kubectl logs`): it checks the request against the pod (a container must be
 * named when the pod has several; the pod must be bound to a node) with upstream's messages, then hands the
 * stream to the node's agent through `NodeLogStreamer`. Until a node agent connects (a later issue), bound pods
 * answer 503 ServiceUnavailable rather than hanging.
 */
import { badRequest, newStatus, StatusError } from '../../api/meta/status-error.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { GenericStore } from '../registry/generic-store.js';
import type { RequestScope, ResourceHandler } from '../request/request-scope.js';

/** PodLogOptions are the query options of pods/log. */
export interface PodLogOptions {
  readonly container: string;
  readonly follow: boolean;
  readonly previous: boolean;
  readonly timestamps: boolean;
  readonly tailLines?: number;
  readonly sinceSeconds?: number;
  readonly sinceTime?: string;
  readonly limitBytes?: number;
}

/** NodeLogStreamer writes a container's log to the response (implemented by the node agent connection). */
export type NodeLogStreamer = (pod: KubeObject, options: PodLogOptions, scope: RequestScope) => Promise<void>;

/** PodLogHandlerConfig wires the pod store and the node connection. */
export interface PodLogHandlerConfig {
  readonly next: ResourceHandler;
  readonly pods: () => GenericStore | undefined;
  /** @default none: bound pods answer 503 */
  readonly streamer?: NodeLogStreamer;
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`${name}: Invalid value: "${v}": must be a non-negative integer`);
  return n;
}

function containerNames(pod: KubeObject, field: 'containers' | 'initContainers' | 'ephemeralContainers'): string[] {
  const spec = (pod.spec ?? {}) as Record<string, unknown>;
  const list = spec[field];
  return Array.isArray(list) ? list.map((c) => String((c as { name?: unknown }).name ?? '')) : [];
}

/** PodLogHandler implements ResourceHandler for pods/log. */
export class PodLogHandler implements ResourceHandler {
  readonly #config: PodLogHandlerConfig;
  constructor(config: PodLogHandlerConfig) {
    this.#config = config;
  }

  async handle(scope: RequestScope): Promise<void> {
    const { info } = scope;
    if (!(info.apiGroup === '' && info.resource === 'pods' && info.subresource === 'log')) return this.#config.next.handle(scope);
    const store = this.#config.pods();
    if (!store) throw new StatusError(newStatus(404, 'NotFound', 'the server could not find the requested resource'));
    const pod = await store.get(info.namespace, info.name);
    const q = scope.url.searchParams;
    const main = containerNames(pod, 'containers');
    const all = [...main, ...containerNames(pod, 'initContainers'), ...containerNames(pod, 'ephemeralContainers')];
    let container = q.get('container') ?? '';
    if (container === '') {
      const annotated = pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
      if (main.length === 1) container = main[0] ?? '';
      else if (annotated && main.includes(annotated)) container = annotated;
      else throw badRequest(`a container name must be specified for pod ${info.name}, choose one of: [${all.join(' ')}]`);
    } else if (!all.includes(container)) {
      throw badRequest(`container ${container} is not valid for pod ${info.name}`);
    }
    const options: PodLogOptions = {
      container,
      follow: q.get('follow') === 'true',
      previous: q.get('previous') === 'true',
      timestamps: q.get('timestamps') === 'true',
      tailLines: intParam(q, 'tailLines'),
      sinceSeconds: intParam(q, 'sinceSeconds'),
      sinceTime: q.get('sinceTime') ?? undefined,
      limitBytes: intParam(q, 'limitBytes'),
    };
    const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
    if (!nodeName) throw badRequest(`pod ${info.name} does not have a host assigned`);
    if (!this.#config.streamer) {
      throw new StatusError(newStatus(503, 'ServiceUnavailable', `no node agent is connected for node "${nodeName}"; cannot stream logs of pod "${info.name}"`));
    }
    await this.#config.streamer(pod, options, scope);
  }
}
