/**
 * The `FailedScheduling` message, in upstream's shape:
 *
 *   0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu. preemption: 0/3 nodes
 *   are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.
 *
 * Each reason is counted over nodes ("<count> <reason>") and the phrases are sorted as strings, as upstream does.
 * The preemption part (built by preemption.ts) reports what preemption could do per node.
 */
import type { Pod } from './objects.js';
import type { Status } from './status.js';

/** NO_NODES_AVAILABLE is upstream's message when the cluster has no nodes at all. */
export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

/** ERR_PREEMPTION_NOT_HELPFUL and ERR_NO_VICTIMS are upstream's preemption phrases. */
export const ERR_PREEMPTION_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const ERR_NO_VICTIMS = 'No preemption victims found for incoming pod';

function histogram(numAllNodes: number, reasonsByNode: Iterable<readonly string[]>): string {
  const counts = new Map<string, number>();
  for (const reasons of reasonsByNode) for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  const phrases = [...counts].map(([r, n]) => `${n} ${r}`).sort();
  return `0/${numAllNodes} nodes are available: ${phrases.join(', ')}.`;
}

/** podPriority is spec.priority (0 when unset). */
export function podPriority(pod: Pod): number {
  return pod.spec?.priority ?? 0;
}

/** preemptionFailureMessage renders the preemption part from each rejected node's preemption verdict. */
export function preemptionFailureMessage(numAllNodes: number, reasonsByNode: Iterable<readonly string[]>): string {
  return `preemption: ${histogram(numAllNodes, reasonsByNode)}`;
}

/**
 * fitErrorMessage renders the FailedScheduling message for a pod no node accepted; `postFilterMessage` is the
 * preemption part (absent when preemption found victims: the pod waits for them to go).
 */
export function fitErrorMessage(numAllNodes: number, rejected: ReadonlyMap<string, Status>, postFilterMessage?: string): string {
  if (numAllNodes === 0) return NO_NODES_AVAILABLE;
  const main = histogram(numAllNodes, [...rejected.values()].map((s) => s.reasons));
  return postFilterMessage ? `${main} ${postFilterMessage}` : main;
}
