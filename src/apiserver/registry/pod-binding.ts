/**
 * Pod binding (`pods/<name>/binding` and the `bindings` resource): sets spec.nodeName once and marks the pod
 * scheduled (status condition PodScheduled=True) in one write. A pod already bound, or being deleted, answers 409
 * as upstream.
 */
import { badRequest, conflict } from '../../api/meta/status-error.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { GenericStore } from './generic-store.js';
import { formatTimestamp } from '../../api/meta/timestamp.js';

function record(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** bindPod assigns the pod `name` to the node named by `binding.target.name`; returns the updated pod. */
export async function bindPod(pods: GenericStore, namespace: string, name: string, binding: KubeObject, now: number, dryRun: boolean): Promise<KubeObject> {
  const target = record(binding['target']);
  const node = target['name'];
  if (typeof node !== 'string' || node === '') throw badRequest('Cannot bind pod: target.name (the node) is required');
  if (target['kind'] !== undefined && target['kind'] !== '' && target['kind'] !== 'Node') {
    throw badRequest(`Cannot bind pod: target.kind must be "Node", got "${String(target['kind'])}"`);
  }
  const gr = { group: '', resource: 'pods/binding' };
  // Binding is a server-side write with its own rules: pod update validation (spec is immutable) does not apply.
  return pods.guaranteedUpdate(
    namespace,
    name,
    (pod) => {
      const spec = record(pod['spec']);
      if (pod.metadata?.deletionTimestamp) throw conflict(gr, name, `pod ${name} is being deleted, cannot be assigned to a host`);
      if (typeof spec['nodeName'] === 'string' && spec['nodeName'] !== '') {
        throw conflict(gr, name, `pod ${name} is already assigned to node "${spec['nodeName']}"`);
      }
      const uid = binding.metadata?.uid;
      if (uid && uid !== pod.metadata?.uid) throw conflict(gr, name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${pod.metadata?.uid ?? ''}`);
      pod['spec'] = { ...spec, nodeName: node };
      const annotations = binding.metadata?.annotations;
      if (annotations) pod.metadata = { ...pod.metadata, annotations: { ...(pod.metadata?.annotations ?? {}), ...annotations } };
      const status = record(pod['status']);
      const conditions = Array.isArray(status['conditions']) ? (status['conditions'] as Record<string, unknown>[]).filter((c) => c['type'] !== 'PodScheduled') : [];
      conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: formatTimestamp(now) });
      pod['status'] = { ...status, conditions };
      return pod;
    },
    { dryRun, subresource: 'binding', skipStrategy: true },
  );
}
