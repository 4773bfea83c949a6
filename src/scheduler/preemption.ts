/**
 * Preemption (upstream's DefaultPreemption PostFilter): when no node fits a pod, find a node where evicting pods
 * of lower priority makes it fit, with as little harm as possible.
 *
 *  - Not eligible: `preemptionPolicy: Never`, or the pod already nominated a node where lower-priority pods are
 *    still terminating (it waits for them instead of evicting more).
 *  - Per node rejected as Unschedulable (UnschedulableAndUnresolvable nodes cannot be helped): remove every
 *    running pod of lower priority; if the pod still does not fit, the node's filter reasons stand; otherwise
 *    give pods back as long as the pod keeps fitting — the rest are the victims. Pods whose eviction would break
 *    a PodDisruptionBudget (no disruptions left) are given back first, then the others, highest priority first
 *    within each group (upstream's selectVictimsOnNode).
 *  - The best node breaks the fewest budgets, then has the lowest highest-victim priority, then the lowest sum
 *    of victim priorities, then the fewest victims.
 *
 * The caller nominates the node (status.nominatedNodeName), deletes the victims and requeues the pod.
 */
import { ERR_NO_VICTIMS, ERR_PREEMPTION_NOT_HELPFUL, podPriority, preemptionFailureMessage } from './framework/fit-error.js';
import type { Framework } from './framework/framework.js';
import { NodeInfo } from './framework/node-info.js';
import { podKey, type Pod } from './framework/objects.js';
import { labelSelectorFromObject, type LabelSelectorObject } from '../api/meta/labels.js';
import type { Status } from './framework/status.js';

/** PreemptionCandidate is a node and the pods to evict there. */
export interface PreemptionCandidate {
  readonly node: string;
  readonly victims: readonly Pod[];
  /** How many victims' eviction breaks a PodDisruptionBudget. */
  readonly pdbViolations?: number;
}

/** DisruptionBudget is what preemption reads of a PodDisruptionBudget. */
export interface DisruptionBudget {
  readonly namespace: string;
  readonly selector: LabelSelectorObject | undefined;
  /** status.disruptionsAllowed */
  readonly disruptionsAllowed: number;
}

/**
 * splitByBudget divides candidate victims (in the order given) into those whose eviction would break a budget
 * and the rest, spending each matching budget's allowed disruptions as it goes (upstream's
 * filterPodsWithPDBViolation).
 */
export function splitByBudget(pods: readonly Pod[], budgets: readonly DisruptionBudget[]): { violating: Pod[]; nonViolating: Pod[] } {
  const left = budgets.map((b) => b.disruptionsAllowed);
  const selectors = budgets.map((b) => {
    try {
      return b.selector ? labelSelectorFromObject(b.selector) : undefined;
    } catch {
      return undefined;
    }
  });
  const violating: Pod[] = [];
  const nonViolating: Pod[] = [];
  for (const p of pods) {
    let breaks = false;
    budgets.forEach((b, i) => {
      const sel = selectors[i];
      if (b.namespace !== (p.metadata?.namespace ?? '') || !sel || sel.empty() || !sel.matches(p.metadata?.labels ?? {})) return;
      left[i] = (left[i] ?? 0) - 1;
      if ((left[i] ?? 0) < 0) breaks = true;
    });
    (breaks ? violating : nonViolating).push(p);
  }
  return { violating, nonViolating };
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
  budgets: readonly DisruptionBudget[] = [],
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
    const state = framework.newCycleState(all.map((n) => (n.name === name ? trial : n)));
    const still = framework.runFilters(pod, trial, state);
    if (still) {
      reasons.push([...still.reasons]);
      continue;
    }
    // Reprieve as many as possible: budget-protected pods first, then the rest, most important first in each.
    const victims: Pod[] = [];
    let pdbViolations = 0;
    const ordered = [...potential].sort((a, b) => podPriority(b) - podPriority(a) || startTime(a) - startTime(b));
    const { violating, nonViolating } = splitByBudget(ordered, budgets);
    const reprieve = (p: Pod): boolean => {
      trial.addPod(p);
      if (!framework.runFilters(pod, trial, state)) return true;
      trial.removePod(podKey(p));
      victims.push(p);
      return false;
    };
    for (const p of violating) if (!reprieve(p)) pdbViolations++;
    for (const p of nonViolating) reprieve(p);
    candidates.push({ node: name, victims, pdbViolations });
  }
  if (candidates.length === 0) return { message: preemptionFailureMessage(numAllNodes, reasons) };
  const score = (c: PreemptionCandidate): [number, number, number, number] => [
    c.pdbViolations ?? 0,
    Math.max(...c.victims.map(podPriority), Number.MIN_SAFE_INTEGER),
    c.victims.reduce((s, v) => s + podPriority(v), 0),
    c.victims.length,
  ];
  candidates.sort((a, b) => {
    const [a0, a1, a2, a3] = score(a);
    const [b0, b1, b2, b3] = score(b);
    return a0 - b0 || a1 - b1 || a2 - b2 || a3 - b3;
  });
  return { candidate: candidates[0] };
}
