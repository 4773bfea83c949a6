/** Pod spec access shared by the pod plugins: the containers of every kind, as JSON records. */

/** JsonRecord is a decoded JSON object. */
export type JsonRecord = Record<string, unknown>;

/** asRecord narrows a JSON value to an object, or returns an empty one. */
export function asRecord(value: unknown): JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonRecord) : {};
}

/** asRecords narrows a JSON value to an array of objects (non-objects skipped). */
export function asRecords(value: unknown): JsonRecord[] {
  return Array.isArray(value) ? value.filter((v): v is JsonRecord => typeof v === 'object' && v !== null && !Array.isArray(v)) : [];
}

/** The pod spec fields that hold containers, in upstream's visiting order. */
export const CONTAINER_FIELDS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

/** podContainers lists every container of a pod spec (init, regular, ephemeral). */
export function podContainers(spec: JsonRecord): JsonRecord[] {
  return CONTAINER_FIELDS.flatMap((field) => asRecords(spec[field]));
}

/** podSpecOf returns the pod spec of a pod, or of a workload's pod template; undefined for other kinds. */
export function podSpecOf(resource: string, obj: JsonRecord): JsonRecord | undefined {
  const spec = asRecord(obj['spec']);
  if (resource === 'pods') return spec;
  if (resource === 'cronjobs') return asRecord(asRecord(asRecord(asRecord(spec['jobTemplate'])['spec'])['template'])['spec']);
  if (WORKLOAD_RESOURCES.has(resource)) return asRecord(asRecord(spec['template'])['spec']);
  return undefined;
}

/** Resources whose spec.template is a pod template. */
export const WORKLOAD_RESOURCES: ReadonlySet<string> = new Set(['deployments', 'replicasets', 'statefulsets', 'daemonsets', 'jobs', 'replicationcontrollers']);
