/**
 * Defaulting of the smaller core/v1 and cluster kinds: Namespace, Secret, Node, PersistentVolume(Claim),
 * Endpoints, plus StorageClass, PriorityClass, NetworkPolicy, EndpointSlice and HorizontalPodAutoscaler.
 */
import { child, isObject, objects, setDefault, setDefaultString, str, type JsonObject } from '../validation/unstructured.js';

/** NAMESPACE_NAME_LABEL is the label every namespace carries with its own name. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/**
 * defaultNamespace: status.phase Active and the `kubernetes.io/metadata.name` label. The `kubernetes` finalizer
 * is added only on create (see ensureNamespaceFinalizer), since the namespace controller removes it later.
 */
export function defaultNamespace(ns: JsonObject): void {
  const status = child(ns, 'status');
  setDefaultString(status, 'phase', 'Active');
  const meta = child(ns, 'metadata');
  const name = str(meta['name']);
  if (name) child(meta, 'labels')[NAMESPACE_NAME_LABEL] = name;
}

/** ensureNamespaceFinalizer adds `kubernetes` to spec.finalizers of a new namespace. */
export function ensureNamespaceFinalizer(ns: JsonObject): void {
  const spec = child(ns, 'spec');
  const finalizers = Array.isArray(spec['finalizers']) ? spec['finalizers'] : [];
  if (!finalizers.includes('kubernetes')) spec['finalizers'] = [...finalizers, 'kubernetes'];
}

/**
 * defaultSecret: type Opaque, and the write-only `stringData` folded into `data` (base64, stringData winning)
 * and dropped, as upstream's conversion does.
 */
export function defaultSecret(s: JsonObject): void {
  setDefaultString(s, 'type', 'Opaque');
  const sd = s['stringData'];
  if (sd === undefined || sd === null) return;
  const data: JsonObject = isObject(s['data']) ? { ...s['data'] } : {};
  if (isObject(sd)) for (const [k, v] of Object.entries(sd)) data[k] = Buffer.from(typeof v === 'string' ? v : String(v)).toString('base64');
  s['data'] = data;
  delete s['stringData'];
}

/** defaultNode: allocatable defaults to capacity; spec is left alone. */
export function defaultNode(node: JsonObject): void {
  const status = node['status'];
  if (!isObject(status)) return;
  const capacity = status['capacity'];
  if (isObject(capacity) && !isObject(status['allocatable'])) status['allocatable'] = { ...capacity };
}

/** defaultPersistentVolumeClaim: volumeMode Filesystem. */
export function defaultPersistentVolumeClaim(pvc: JsonObject): void {
  setDefaultString(child(pvc, 'spec'), 'volumeMode', 'Filesystem');
}

/** defaultPersistentVolume: reclaim policy Retain, volumeMode Filesystem. */
export function defaultPersistentVolume(pv: JsonObject): void {
  const spec = child(pv, 'spec');
  setDefaultString(spec, 'persistentVolumeReclaimPolicy', 'Retain');
  setDefaultString(spec, 'volumeMode', 'Filesystem');
}

/** defaultEndpoints: port protocol TCP. */
export function defaultEndpoints(ep: JsonObject): void {
  for (const subset of objects(ep['subsets'])) for (const p of objects(subset['ports'])) setDefaultString(p, 'protocol', 'TCP');
}

/** defaultEndpointSlice: port protocol TCP and name "". */
export function defaultEndpointSlice(es: JsonObject): void {
  for (const p of objects(es['ports'])) {
    setDefaultString(p, 'protocol', 'TCP');
    setDefault(p, 'name', '');
  }
}

/** defaultStorageClass: reclaimPolicy Delete, volumeBindingMode Immediate. */
export function defaultStorageClass(sc: JsonObject): void {
  setDefaultString(sc, 'reclaimPolicy', 'Delete');
  setDefaultString(sc, 'volumeBindingMode', 'Immediate');
}

/** defaultPriorityClass: preemptionPolicy PreemptLowerPriority. */
export function defaultPriorityClass(pc: JsonObject): void {
  setDefaultString(pc, 'preemptionPolicy', 'PreemptLowerPriority');
}

/** defaultNetworkPolicy: port protocol TCP; policyTypes Ingress, plus Egress when egress rules exist. */
export function defaultNetworkPolicy(np: JsonObject): void {
  const spec = child(np, 'spec');
  for (const dir of ['ingress', 'egress']) for (const rule of objects(spec[dir])) for (const p of objects(rule['ports'])) setDefaultString(p, 'protocol', 'TCP');
  const types = spec['policyTypes'];
  if (!Array.isArray(types) || types.length === 0) {
    spec['policyTypes'] = Array.isArray(spec['egress']) && spec['egress'].length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  }
}

/** defaultLimitRange: for Container limits, default and defaultRequest fall back to max/min as upstream does. */
export function defaultLimitRange(lr: JsonObject): void {
  for (const item of objects(child(lr, 'spec')['limits'])) {
    if (item['type'] !== 'Container') continue;
    const max = item['max'];
    if (isObject(max)) {
      const def = child(item, 'default');
      for (const [k, v] of Object.entries(max)) setDefault(def, k, v);
    }
    const def = item['default'];
    if (isObject(def)) {
      const req = child(item, 'defaultRequest');
      for (const [k, v] of Object.entries(def)) setDefault(req, k, v);
    }
    const min = item['min'];
    if (isObject(min)) {
      const req = child(item, 'defaultRequest');
      for (const [k, v] of Object.entries(min)) setDefault(req, k, v);
    }
  }
}

/**
 * defaultHorizontalPodAutoscaler: minReplicas 1; for autoscaling/v2 also the CPU 80% metric when none is given,
 * and, as upstream, the behavior defaults only when `behavior` is given. scaleDown.stabilizationWindowSeconds
 * stays unset so the controller's `--horizontal-pod-autoscaler-downscale-stabilization` applies.
 */
export function defaultHorizontalPodAutoscaler(hpa: JsonObject): void {
  const spec = child(hpa, 'spec');
  setDefault(spec, 'minReplicas', 1);
  if (hpa['apiVersion'] === 'autoscaling/v1') return;
  const metrics = spec['metrics'];
  if (!Array.isArray(metrics) || metrics.length === 0) {
    spec['metrics'] = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
  }
  if (!isObject(spec['behavior'])) return;
  const behavior = child(spec, 'behavior');
  const up = child(behavior, 'scaleUp');
  setDefault(up, 'stabilizationWindowSeconds', 0);
  setDefaultString(up, 'selectPolicy', 'Max');
  const upPolicies = up['policies'];
  if (!Array.isArray(upPolicies) || upPolicies.length === 0) {
    up['policies'] = [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ];
  }
  const down = child(behavior, 'scaleDown');
  setDefaultString(down, 'selectPolicy', 'Max');
  const downPolicies = down['policies'];
  if (!Array.isArray(downPolicies) || downPolicies.length === 0) down['policies'] = [{ type: 'Percent', value: 100, periodSeconds: 15 }];
}
