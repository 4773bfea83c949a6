/**
 * The `scale` subresource (autoscaling/v1 Scale) of deployments, replicasets, statefulsets and
 * replicationcontrollers: a view of the parent's spec.replicas, status.replicas and selector.
 */
import { labelSelectorFromObject, selectorFromSet } from '../../api/meta/labels.js';
import type { LabelSelectorObject } from '../../api/meta/labels.js';
import type { KubeObject } from '../../api/meta/types.js';
import { badRequest } from '../../api/meta/status-error.js';

/** Scale is autoscaling/v1 Scale. */
export interface Scale extends KubeObject {
  spec: { replicas?: number };
  status: { replicas: number; selector?: string };
}

function record(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** scaleOf renders the parent's Scale. ReplicationControllers carry a map selector, the others a LabelSelector. */
export function scaleOf(parent: KubeObject): Scale {
  const spec = record(parent['spec']);
  const status = record(parent['status']);
  const md = parent.metadata ?? {};
  let selector: string | undefined;
  const rawSelector = spec['selector'];
  if (parent.kind === 'ReplicationController') {
    selector = selectorFromSet(record(rawSelector) as Record<string, string>).toString();
  } else if (rawSelector !== undefined && rawSelector !== null) {
    try {
      selector = labelSelectorFromObject(rawSelector as LabelSelectorObject).toString();
    } catch {
      // An invalid stored selector is shown as no selector rather than failing the read.
      selector = undefined;
    }
  }
  const replicas = typeof spec['replicas'] === 'number' ? spec['replicas'] : 1;
  const scale: Scale = {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: md.name,
      namespace: md.namespace,
      uid: md.uid,
      resourceVersion: md.resourceVersion,
      creationTimestamp: md.creationTimestamp,
    },
    spec: { replicas },
    status: { replicas: typeof status['replicas'] === 'number' ? status['replicas'] : 0 },
  };
  if (selector !== undefined && selector !== '') scale.status.selector = selector;
  return scale;
}

/**
 * applyScale returns the parent with spec.replicas from `scale`, carrying the Scale's resourceVersion as the
 * write's precondition. A negative or non-integer replica count is a 422-worthy input; we answer 400 for a
 * missing or non-numeric one.
 */
export function applyScale(parent: KubeObject, scale: KubeObject): KubeObject {
  const spec = record(scale['spec']);
  const replicas = spec['replicas'] ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas)) throw badRequest('Cannot update scale: spec.replicas must be an integer');
  const out: KubeObject = { ...parent, spec: { ...record(parent['spec']), replicas } };
  out.metadata = { ...(parent.metadata ?? {}) };
  const rv = scale.metadata?.resourceVersion;
  if (rv) out.metadata.resourceVersion = rv;
  return out;
}
