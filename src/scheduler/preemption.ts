/**
 * Preemption (upstream's DefaultPreemption PostFilter): when no node fits a pod, find a node where evicting pods
 * of lower priority makes it fit, with as little harm as possible.
 *
 *  - Not eligible: `preemptionPolicy: Never`, or the pod already nominated a node where lower-priority pods are
 *    still terminating (it waits for them instead of evicting more).
 *  - Per node rejected as Unschedulable (UnschedulableAndUnresolvable nodes cannot be helped): remove every
 *    running pod of lower priority; if the pod still does not fit, the node's filter reasons stand; otherwise
 *    give pods back, highest priority first, as long as the pod keeps fitting — the rest are the victims.
 *  - The best node has the lowest highest-victim priority, then the lowest sum of victim priorities, then the
 *    fewest victims.
 *
 * The caller nominates the node (status.nominatedNodeName), deletes the victims and requeues the pod.
 */
import { ERR_NO_VICTIMS, ERR_PREEMPTION_NOT_HELPFUL, podPriority, preemptionFailureMessage } from './framework/fit-error.js';
import { CycleState } from './framework/cycle-state.js';
import type { Framework } from './framework/framework.js';
import { NodeInfo } from './framework/node-info.js';
import { podKey, type Pod } from './framework/objects.js';
import type { Status } from './framework/status.js';

/** PreemptionCandidate is a node and the pods to evict there. */
export interface PreemptionCandidate {
  readonly node: string;
  readonly victims: readonly Pod[];
}

/** PreemptionResult is a candidate, or the message saying why there is none. */
export interface PreemptionResult {
  readonly candidate?: PreemptionCandidate;
  /** The "preemption: …" part of FailedScheduling when there is no candidate. */
  readonly message?: string;
}

/** ERR_NOT_ELIGIBLE_TERMINATING is upstream's text when the pod waits for its victims. */
export const ERR_NOT_ELIGIBLE_TERMINATING = 'preemption: not eligible due to a terminating pod on the nominated node.';
/** ERR_NOT_ELIGIBLE_NEVER is upstream's text for preemptionPolicy Never. */
export const ERR_NOT_ELIGIBLE_NEVER = 'preemption: not eligible due to preemptionPolicy=Never.';

function startTime(p: Pod): number {
  return Date.parse(p.metadata?.creationTimestamp ?? '') || 0;
}

/** findPreemption looks for victims whose eviction lets `pod` fit. */
export function findPreemption(
  pod: Pod,
  framework: Framework,
  rejected: ReadonlyMap<string, Status>,
  nodes: ReadonlyMap<string, NodeInfo>,
  numAllNodes: number,
  nominatedNode: string | undefined,
): PreemptionResult {
  if (pod.spec?.preemptionPolicy === 'Never') return { message: ERR_NOT_ELIGIBLE_NEVER };
  const priority = podPriority(pod);
  if (nominatedNode) {
    const waiting = nodes.get(nominatedNode)?.pods().some((p) => p.metadata?.deletionTimestamp && podPriority(p) < priority);
    if (waiting) return { message: ERR_NOT_ELIGIBLE_TERMINATING };
  }
  const reasons: string[][] = [];
  const candidates: PreemptionCandidate[] = [];
  const all = [...nodes.values()].filter((n) => n.node);
  for (const [name, status] of rejected) {
    const info = nodes.get(name);
    if (status.code !== 'Unschedulable' || !info?.node) {
      reasons.push([ERR_PREEMPTION_NOT_HELPFUL]);
      continue;
    }
    const potential = info.pods().filter((p) => !p.metadata?.deletionTimestamp && podPriority(p) < priority);
    if (potential.length === 0) {
      reasons.push([ERR_NO_VICTIMS]);
      continue;
    }
    const lower = new Set(potential.map(podKey));
    const trial = new NodeInfo(name, info.node);
    for (const p of info.pods()) if (!lower.has(podKey(p))) trial.addPod(p);
    const state = new CycleState(all.map((n) => (n.name === name ? trial : n)));
    const still = framework.runFilters(pod, trial, state);
    if (still) {
      reasons.push([...still.reasons]);
      continue;
    }
    // Reprieve as many as possible, most important first.
    const victims: Pod[] = [];
    for (const p of [...potential].sort((a, b) => podPriority(b) - podPriority(a) || startTime(a) - startTime(b))) {
      trial.addPod(p);
      if (framework.runFilters(pod, trial, state)) {
        trial.removePod(podKey(p));
        victims.push(p);
      }
    }
    candidates.push({ node: name, victims });
  }
  if (candidates.length === 0) return { message: preemptionFailureMessage(numAllNodes, reasons) };
  const score = (c: PreemptionCandidate): [number, number, number] => [
    Math.max(...c.victims.map(podPriority), Number.MIN_SAFE_INTEGER),
    c.victims.reduce((s, v) => s + podPriority(v), 0),
    c.victims.length,
  ];
  candidates.sort((a, b) => {
    const [a1, a2, a3] = score(a);
    const [b1, b2, b3] = score(b);
    return a1 - b1 || a2 - b2 || a3 - b3;
  });
  return { candidate: candidates[0] };
}
