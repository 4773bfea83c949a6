/**
 * Resource arithmetic of scheduling: a pod's effective requests (upstream's rule: the larger of the sum over its
 * containers and the largest init container, plus overhead) and a node's allocatable. CPU is counted in
 * millicores and everything else in base units, so sums stay exact integers.
 */
import { parseQuantity } from '../../api/validation/quantity.js';
import type { Container, Node, Pod } from './objects.js';

/** Resources maps a resource name ("cpu", "memory", "pods", extended names) to an amount (cpu in millicores). */
export type Resources = Record<string, number>;

/** DEFAULT_MILLI_CPU_REQUEST is what scoring assumes for a container without a cpu request (upstream: 100m). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
/** DEFAULT_MEMORY_REQUEST is what scoring assumes for a container without a memory request (upstream: 200 MiB). */
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

/** amount converts a quantity to the scheduler's unit for `name` (cpu → millicores, rounded up). */
export function amount(name: string, q: unknown): number {
  const v = parseQuantity(q) ?? 0;
  return name === 'cpu' ? Math.ceil(v * 1000 - 1e-9) : Math.ceil(v - 1e-9);
}

function containerRequests(c: Container, nonZero: boolean): Resources {
  const out: Resources = {};
  for (const [name, q] of Object.entries(c.resources?.requests ?? {})) out[name] = amount(name, q);
  // Upstream defaults requests from limits when requests are unset (API defaulting); mirror it here.
  for (const [name, q] of Object.entries(c.resources?.limits ?? {})) if (out[name] === undefined) out[name] = amount(name, q);
  if (nonZero) {
    if (!out['cpu']) out['cpu'] = DEFAULT_MILLI_CPU_REQUEST;
    if (!out['memory']) out['memory'] = DEFAULT_MEMORY_REQUEST;
  }
  return out;
}

/**
 * podRequests computes a pod's effective requests. With `nonZero`, containers without cpu/memory requests count
 * the scoring defaults (so best-effort pods still spread).
 */
export function podRequests(pod: Pod, nonZero = false): Resources {
  const total: Resources = {};
  for (const c of pod.spec?.containers ?? []) {
    for (const [k, v] of Object.entries(containerRequests(c, nonZero))) total[k] = (total[k] ?? 0) + v;
  }
  for (const c of pod.spec?.initContainers ?? []) {
    for (const [k, v] of Object.entries(containerRequests(c, nonZero))) total[k] = Math.max(total[k] ?? 0, v);
  }
  for (const [name, q] of Object.entries(pod.spec?.overhead ?? {})) total[name] = (total[name] ?? 0) + amount(name, q);
  return total;
}

/** DEFAULT_MAX_PODS is the pod capacity assumed when a node does not state one. */
export const DEFAULT_MAX_PODS = 110;

/** nodeAllocatable reads status.allocatable (falling back to capacity) in the scheduler's units. */
export function nodeAllocatable(node: Node): Resources {
  const src = node.status?.allocatable ?? node.status?.capacity ?? {};
  const out: Resources = {};
  for (const [name, q] of Object.entries(src)) out[name] = amount(name, q);
  if (out['pods'] === undefined) out['pods'] = DEFAULT_MAX_PODS;
  return out;
}
