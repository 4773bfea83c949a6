/**
 * The downward API's two selectors, shared by env vars (`valueFrom.fieldRef` / `resourceFieldRef`) and
 * downwardAPI volume files: a pod field by path, or a container's resource request/limit scaled by a divisor.
 * Results are values: `{ value }` or `{ error }` with upstream's wording.
 */
import { parseQuantity } from '../../api/validation/quantity.js';
import type { Container, PodView, ResourceFieldSelector } from '../pod-spec.js';

export type FieldResult = { readonly value: string; readonly error?: undefined } | { readonly value?: undefined; readonly error: string };

/** NodeAllocatable stands in for a limit the container does not set (upstream does the same). */
export interface NodeAllocatable {
  /** CPU cores. */
  readonly cpu: number;
  /** Bytes. */
  readonly memory: number;
  /** Bytes. */
  readonly ephemeralStorage?: number;
}

/** formatMap renders labels/annotations as upstream does: sorted `key="value"` lines, no final newline. */
export function formatMap(m: Readonly<Record<string, string>> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m?.[k] ?? '')}`)
    .join('\n');
}

const SUBSCRIPT = /^metadata\.(labels|annotations)\['(.*)'\]$/;

/**
 * podField resolves a fieldRef path. `forVolume` selects the volume's set (whole label/annotation maps allowed;
 * no spec/status fields), otherwise the env var set.
 */
export function podField(pod: PodView, fieldPath: string, forVolume: boolean): FieldResult {
  const md = pod.metadata ?? {};
  const sub = SUBSCRIPT.exec(fieldPath);
  if (sub) {
    const map = sub[1] === 'labels' ? md.labels : md.annotations;
    return { value: map?.[sub[2] ?? ''] ?? '' };
  }
  switch (fieldPath) {
    case 'metadata.name':
      return { value: md.name ?? '' };
    case 'metadata.namespace':
      return { value: md.namespace ?? '' };
    case 'metadata.uid':
      return { value: md.uid ?? '' };
    default:
  }
  if (forVolume) {
    if (fieldPath === 'metadata.labels') return { value: formatMap(md.labels) };
    if (fieldPath === 'metadata.annotations') return { value: formatMap(md.annotations) };
  } else {
    switch (fieldPath) {
      case 'spec.nodeName':
        return { value: pod.spec?.nodeName ?? '' };
      case 'spec.serviceAccountName':
        return { value: pod.spec?.serviceAccountName ?? '' };
      case 'status.hostIP':
        return { value: pod.status?.hostIP ?? '' };
      case 'status.hostIPs':
        return { value: (pod.status?.hostIPs ?? []).map((i) => i.ip).join(',') };
      case 'status.podIP':
        return { value: pod.status?.podIP ?? '' };
      case 'status.podIPs':
        return { value: (pod.status?.podIPs ?? []).map((i) => i.ip).join(',') };
      default:
    }
  }
  return { error: `unsupported fieldPath: ${fieldPath}` };
}

/**
 * resourceField resolves a resourceFieldRef for `container` (the selector's containerName wins when given):
 * CPU in whole units of the divisor (rounded up, from millicores), memory and storage in whole divisors of
 * bytes (rounded up). An unset limit is the node's allocatable; an unset request is 0.
 */
export function resourceField(pod: PodView, container: Container | undefined, ref: ResourceFieldSelector, node: NodeAllocatable): FieldResult {
  const c = ref.containerName ? [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((x) => x.name === ref.containerName) : container;
  if (!c) return { error: `container ${ref.containerName ?? ''} not found` };
  const [kind, resource] = splitResource(ref.resource);
  if (!kind || !resource) return { error: `unsupported container resource : ${ref.resource}` };
  const divisor = ref.divisor === undefined || ref.divisor === '' ? 1 : parseQuantity(ref.divisor);
  if (divisor === undefined || divisor <= 0) return { error: `invalid divisor ${String(ref.divisor)}` };
  const raw = kind === 'limits' ? c.resources?.limits?.[resource] : (c.resources?.requests?.[resource] ?? (resource === 'cpu' || resource === 'memory' ? c.resources?.limits?.[resource] : undefined));
  let amount = raw === undefined ? undefined : parseQuantity(raw);
  if (raw !== undefined && amount === undefined) return { error: `invalid quantity ${String(raw)}` };
  if (amount === undefined) {
    if (kind === 'requests') amount = 0;
    else if (resource === 'cpu') amount = node.cpu;
    else if (resource === 'memory') amount = node.memory;
    else if (resource === 'ephemeral-storage') amount = node.ephemeralStorage ?? 0;
    else amount = 0;
  }
  if (resource === 'cpu') {
    // Millicores as integers, so 500m / 1m is exactly 500 (doubles would give 500.00000000000006).
    const milli = Math.round(amount * 1000);
    const divMilli = Math.max(1, Math.round(divisor * 1000));
    return { value: String(Math.ceil(milli / divMilli)) };
  }
  return { value: String(Math.ceil(Math.round(amount) / Math.max(1, Math.round(divisor)))) };
}

function splitResource(r: string): [string | undefined, string | undefined] {
  const m = /^(limits|requests)\.(cpu|memory|ephemeral-storage|hugepages-.+)$/.exec(r);
  return m ? [m[1], m[2]] : [undefined, undefined];
}
