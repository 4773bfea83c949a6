/**
 * AutoscalerApi: the HPA controller's writes and scale reads, behind one seam so the decision logic can be tested
 * without a server. `RestAutoscalerApi` does them over REST: the target's `/scale` subresource (whatever kind
 * serves one: Deployments, ReplicaSets, ReplicationControllers, StatefulSets, custom resources), the HPA's
 * `/status`, and Events.
 */
import type { KubeObject } from '../../api/meta/types.js';
import { ApiError } from '../../client/api-error.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { RestClient } from '../../client/rest-client.js';
import type { ResolvedResource, ResourceResolver } from './resource-resolver.js';
import { failed, ok, type CrossVersionObjectReference, type HorizontalPodAutoscaler, type Result, type Scale } from './types.js';

/** ScaleTarget is a read Scale and where it came from (to write it back). */
export interface ScaleTarget {
  readonly scale: Scale;
  readonly resource: ResolvedResource;
}

/** AutoscalerApi is what the controller does to the cluster. */
export interface AutoscalerApi {
  /** getScale reads the target's Scale; failures are values (upstream's FailedGetScale). */
  getScale(namespace: string, ref: CrossVersionObjectReference): Promise<Result<ScaleTarget>>;
  /** updateScale writes spec.replicas through `/scale`. */
  updateScale(namespace: string, target: ScaleTarget, replicas: number): Promise<Result<void>>;
  /** updateStatus writes the HPA's status; throws on conflicts so the work queue retries. */
  updateStatus(hpa: HorizontalPodAutoscaler): Promise<void>;
  /** event records an Event about the HPA (never throws). */
  event(hpa: HorizontalPodAutoscaler, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const HPAS = { group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers' } as const;

/** RestAutoscalerApi is the AutoscalerApi over the API server. */
export class RestAutoscalerApi implements AutoscalerApi {
  readonly #client: RestClient;
  readonly #resolver: ResourceResolver;
  readonly #events: EventRecorder;

  constructor(config: { client: RestClient; resolver: ResourceResolver; events: EventRecorder }) {
    this.#client = config.client;
    this.#resolver = config.resolver;
    this.#events = config.events;
  }

  async getScale(namespace: string, ref: CrossVersionObjectReference): Promise<Result<ScaleTarget>> {
    const resolved = await this.#resolver.resolve(ref.apiVersion, ref.kind);
    if (!resolved.ok) return failed(`unable to determine resource for scale target reference: ${resolved.error}`);
    const r = resolved.value;
    if (!r.hasScale) return failed(`${r.resource}${r.group ? `.${r.group}` : ''} "${ref.name}" has no scale subresource`);
    try {
      const scale = (await this.#client.get({ group: r.group, version: r.version, resource: r.resource, namespace: r.namespaced ? namespace : undefined, name: ref.name, subresource: 'scale' })) as Scale;
      return ok({ scale, resource: r });
    } catch (err) {
      return failed(message(err));
    }
  }

  async updateScale(namespace: string, target: ScaleTarget, replicas: number): Promise<Result<void>> {
    const r = target.resource;
    const body: KubeObject = { ...target.scale, apiVersion: 'autoscaling/v1', kind: 'Scale', spec: { ...(target.scale.spec ?? {}), replicas } };
    try {
      await this.#client.update({ group: r.group, version: r.version, resource: r.resource, namespace: r.namespaced ? namespace : undefined, name: target.scale.metadata?.name ?? '', subresource: 'scale' }, body);
      return ok(undefined);
    } catch (err) {
      return failed(message(err));
    }
  }

  async updateStatus(hpa: HorizontalPodAutoscaler): Promise<void> {
    try {
      await this.#client.update({ ...HPAS, namespace: hpa.metadata?.namespace, name: hpa.metadata?.name, subresource: 'status' }, hpa);
    } catch (err) {
      // Deleted meanwhile: nothing to report on.
      if (err instanceof ApiError && err.code === 404) return;
      throw err;
    }
  }

  event(hpa: HorizontalPodAutoscaler, type: 'Normal' | 'Warning', reason: string, msg: string): Promise<void> {
    return this.#events.record(hpa, type, reason, msg);
  }
}
