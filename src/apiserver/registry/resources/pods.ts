/**
 * Pods: defaulting (restartPolicy, dnsPolicy, container defaults…), validation (PodSpec; spec mostly immutable
 * on update), the initial status `{phase: Pending, qosClass}`, field selectors and the table. The
 * `ephemeralcontainers` subresource may change only spec.ephemeralContainers.
 */
import type { KubeObject } from '../../../api/meta/types.js';
import { defaultPod } from '../../../api/defaults/pod.js';
import { parseQuantity } from '../../../api/validation/quantity.js';
import { obj, objects, str } from '../../../api/validation/unstructured.js';
import { validatePodSpec, validatePodSpecUpdate } from '../../../api/validation/validate-pod.js';
import { podTable } from '../../printers/pods.js';
import type { ResourceStrategy } from '../strategy.js';
import { newResourceStrategy } from './resource-strategy.js';

/** podQOSClass computes status.qosClass: BestEffort without any cpu/memory request or limit, Guaranteed when every container's limits cover cpu and memory and equal its requests, else Burstable. */
export function podQOSClass(pod: KubeObject): 'BestEffort' | 'Burstable' | 'Guaranteed' {
  const spec = obj(pod['spec']);
  const containers = [...objects(spec['initContainers']), ...objects(spec['containers'])];
  const compute = ['cpu', 'memory'];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const res = obj(c['resources']);
    const requests = obj(res['requests']);
    const limits = obj(res['limits']);
    for (const r of compute) {
      const req = parseQuantity(requests[r]);
      const lim = parseQuantity(limits[r]);
      if ((req !== undefined && req !== 0) || (lim !== undefined && lim !== 0)) any = true;
      if (lim === undefined || lim === 0) guaranteed = false;
      else if (req !== undefined && req !== lim) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** podSelectableFields are the field-selector values of a pod. */
export function podSelectableFields(pod: KubeObject): Record<string, string> {
  const spec = obj(pod['spec']);
  const status = obj(pod['status']);
  const podIPs = objects(status['podIPs']);
  return {
    'spec.nodeName': str(spec['nodeName']) ?? '',
    'spec.restartPolicy': str(spec['restartPolicy']) ?? '',
    'spec.schedulerName': str(spec['schedulerName']) ?? '',
    'spec.serviceAccountName': str(spec['serviceAccountName']) ?? '',
    'spec.hostNetwork': String(spec['hostNetwork'] === true),
    'status.phase': str(status['phase']) ?? '',
    'status.podIP': str(podIPs[0]?.['ip']) ?? str(status['podIP']) ?? '',
    'status.nominatedNodeName': str(status['nominatedNodeName']) ?? '',
  };
}

/** podStrategy is the pods policy. */
export const podStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: true,
  statusSubresource: true,
  initialStatus: (pod) => ({ phase: 'Pending', qosClass: podQOSClass(pod) }),
  defaults: defaultPod,
  prepareForUpdate(pod, old, ctx) {
    if (ctx.subresource === 'ephemeralcontainers') {
      const spec = structuredClone(obj(old['spec']));
      spec['ephemeralContainers'] = obj(pod['spec'])['ephemeralContainers'];
      pod['spec'] = spec;
      pod['status'] = structuredClone(old['status']);
      // As upstream, the subresource changes no metadata a client owns (labels, annotations, owners, finalizers).
      const meta = (pod.metadata ??= {});
      for (const key of ['labels', 'annotations', 'ownerReferences', 'finalizers'] as const) {
        const was = old.metadata?.[key];
        if (was === undefined) delete meta[key];
        else (meta as Record<string, unknown>)[key] = structuredClone(was);
      }
    } else if (ctx.subresource === '') {
      // Ephemeral containers change only through their subresource; the main resource keeps the stored list.
      const spec = obj(pod['spec']);
      const oldEph = obj(old['spec'])['ephemeralContainers'];
      if (oldEph === undefined) delete spec['ephemeralContainers'];
      else spec['ephemeralContainers'] = structuredClone(oldEph);
    }
  },
  validate: (pod) => validatePodSpec(pod['spec'], 'spec'),
  validateUpdate: (pod, old) => validatePodSpecUpdate(pod, old),
  selectableFields: podSelectableFields,
  table: podTable,
  // Pods have no generation-tracking controller; upstream still bumps nothing for pod spec changes.
  tracksGeneration: false,
});

