/**
 * InterPodAffinity: pods placed relative to other pods by topology domain (node label values).
 *
 * Filter, in upstream's order and with its reasons:
 *  1. an existing pod's required anti-affinity term that matches the incoming pod forbids the existing pod's
 *     domain — "node(s) didn't satisfy existing pods anti-affinity rules" (Unschedulable);
 *  2. each required affinity term of the incoming pod needs a matching pod in the node's domain — unless no pod
 *     anywhere matches and the incoming pod matches its own terms (the first pod of a group) — "node(s) didn't
 *     match pod affinity rules" (UnschedulableAndUnresolvable);
 *  3. each required anti-affinity term of the incoming pod forbids domains holding a matching pod — "node(s)
 *     didn't match pod anti-affinity rules" (Unschedulable).
 *
 * Score: the incoming pod's preferred terms, and existing pods' preferred terms that match it, add (affinity) or
 * subtract (anti-affinity) their weight for every matching pod in a domain; scores are min-max normalized
 * (weight 2).
 *
 * A term's namespaces are its `namespaces` list plus the namespaces its `namespaceSelector` selects (by their
 * labels, from the scheduler's namespace informer), or the pod's own namespace when it has neither;
 * `namespaceSelector: {}` means all namespaces.
 */
import { labelSelectorFromObject, type LabelSelector, type LabelSelectorObject } from '../../api/meta/labels.js';
import type { CycleState } from '../framework/cycle-state.js';
import type { NodeInfo } from '../framework/node-info.js';
import type { Pod, PodAffinityTerm } from '../framework/objects.js';
import { MAX_NODE_SCORE, type FilterPlugin, type ScorePlugin } from '../framework/plugin.js';
import { SUCCESS, unresolvable, unschedulable } from '../framework/status.js';

/** Upstream's reason texts. */
export const ERR_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
export const ERR_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";

/** CompiledTerm is a term with its selector and namespace rule resolved for its owner. */
interface CompiledTerm {
  readonly topologyKey: string;
  readonly selector: LabelSelector;
  /** undefined: every namespace. */
  readonly namespaces: ReadonlySet<string> | undefined;
}

function compile(owner: Pod, term: PodAffinityTerm, state: CycleState): CompiledTerm {
  const labels = owner.metadata?.labels ?? {};
  const base = term.labelSelector ?? undefined;
  const extra = [
    ...(term.matchLabelKeys ?? []).filter((k) => labels[k] !== undefined).map((k) => ({ key: k, operator: 'In', values: [labels[k] ?? ''] })),
    ...(term.mismatchLabelKeys ?? []).filter((k) => labels[k] !== undefined).map((k) => ({ key: k, operator: 'NotIn', values: [labels[k] ?? ''] })),
  ];
  // A term without a labelSelector matches no pod.
  const selector = base ? labelSelectorFromObject({ matchLabels: base.matchLabels, matchExpressions: [...(base.matchExpressions ?? []), ...extra] }) : labelSelectorFromObject(undefined);
  const sel = term.namespaceSelector;
  const everyNamespace = sel !== undefined && sel !== null && Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;
  const listed = term.namespaces ?? [];
  let namespaces: Set<string> | undefined;
  if (!everyNamespace) {
    namespaces = new Set(listed.length > 0 || sel ? listed : [owner.metadata?.namespace ?? '']);
    if (sel) {
      const nsSelector = state.read(`InterPodAffinity/ns/${JSON.stringify(sel)}`, () => {
        try {
          const compiled = labelSelectorFromObject(sel as LabelSelectorObject);
          return state.namespaces().filter((n) => compiled.matches(n.labels)).map((n) => n.name);
        } catch {
          return [];
        }
      });
      for (const name of nsSelector) namespaces.add(name);
    }
  }
  return { topologyKey: term.topologyKey, selector, namespaces };
}

function matches(term: CompiledTerm, pod: Pod): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  if (term.namespaces && !term.namespaces.has(pod.metadata?.namespace ?? '')) return false;
  return term.selector.matches(pod.metadata?.labels);
}

function valueOf(node: NodeInfo, key: string): string | undefined {
  return node.node?.metadata?.labels?.[key];
}

function pair(key: string, value: string): string {
  return `${key}\u0000${value}`;
}

interface FilterState {
  /** Domains forbidden by existing pods' anti-affinity. */
  readonly existingAnti: Set<string>;
  /** Per required affinity term: domains holding a matching pod. */
  readonly affinity: { term: CompiledTerm; domains: Set<string> }[];
  /** Whether any pod anywhere matches every required affinity term's selector (the first-pod rule). */
  readonly anyAffinityMatch: boolean;
  /** Per required anti-affinity term: domains holding a matching pod. */
  readonly anti: { term: CompiledTerm; domains: Set<string> }[];
}

function required(pod: Pod, kind: 'podAffinity' | 'podAntiAffinity'): PodAffinityTerm[] {
  return pod.spec?.affinity?.[kind]?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
}

/** anyPodsWithAffinity tells whether some placed pod has affinity terms (the cache's count, else once per cycle). */
function anyPodsWithAffinity(state: CycleState): boolean {
  if (state.podsWithAffinity !== undefined) return state.podsWithAffinity > 0;
  return state.read('InterPodAffinity/existing', () => state.allNodes.some((n) => n.affinityPodCount > 0));
}

function buildFilterState(pod: Pod, state: CycleState): FilterState {
  const affinity = required(pod, 'podAffinity').map((t) => ({ term: compile(pod, t, state), domains: new Set<string>() }));
  const anti = required(pod, 'podAntiAffinity').map((t) => ({ term: compile(pod, t, state), domains: new Set<string>() }));
  const existingAnti = new Set<string>();
  let anyAffinityMatch = false;
  const ownTerms = affinity.length > 0 || anti.length > 0;
  const existingTerms = anyPodsWithAffinity(state);
  if (!ownTerms && !existingTerms) return { existingAnti, affinity, anyAffinityMatch, anti };
  for (const node of state.allNodes) {
    if (node.affinityPodCount > 0) for (const existing of node.podsWithAffinity()) {
      for (const t of required(existing, 'podAntiAffinity')) {
        const value = valueOf(node, t.topologyKey);
        if (value !== undefined && matches(compile(existing, t, state), pod)) existingAnti.add(pair(t.topologyKey, value));
      }
    }
    // Only a pod with terms of its own needs to look at every pod.
    if (!ownTerms) continue;
    for (const existing of node.pods()) {
      for (const a of affinity) {
        if (!matches(a.term, existing)) continue;
        anyAffinityMatch = true;
        const value = valueOf(node, a.term.topologyKey);
        if (value !== undefined) a.domains.add(value);
      }
      for (const a of anti) {
        if (!matches(a.term, existing)) continue;
        const value = valueOf(node, a.term.topologyKey);
        if (value !== undefined) a.domains.add(value);
      }
    }
  }
  return { existingAnti, affinity, anyAffinityMatch, anti };
}

/** INTER_POD_AFFINITY_FILTER is the filter half. */
export const INTER_POD_AFFINITY_FILTER: FilterPlugin = {
  name: 'InterPodAffinity',
  skip: (pod, state) => required(pod, 'podAffinity').length === 0 && required(pod, 'podAntiAffinity').length === 0 && !anyPodsWithAffinity(state),
  filter(pod, node, state) {
    const s = state.read('InterPodAffinity/filter', () => buildFilterState(pod, state));
    // The common case — no terms anywhere — costs one check per node.
    if (s.existingAnti.size === 0 && s.affinity.length === 0 && s.anti.length === 0) return SUCCESS;
    const labels = node.node?.metadata?.labels ?? {};
    if (s.existingAnti.size > 0) {
      for (const [key, value] of Object.entries(labels)) if (s.existingAnti.has(pair(key, value))) return unschedulable(ERR_EXISTING_ANTI_AFFINITY);
    }
    if (s.affinity.length > 0) {
      const selfMatch = s.affinity.every((a) => matches(a.term, pod));
      const firstOfGroup = !s.anyAffinityMatch && selfMatch;
      for (const a of s.affinity) {
        const value = labels[a.term.topologyKey];
        if (value === undefined) return unresolvable(ERR_AFFINITY);
        if (!firstOfGroup && !a.domains.has(value)) return unresolvable(ERR_AFFINITY);
      }
    }
    for (const a of s.anti) {
      const value = labels[a.term.topologyKey];
      if (value !== undefined && a.domains.has(value)) return unschedulable(ERR_ANTI_AFFINITY);
    }
    return SUCCESS;
  },
};

function buildScoreState(pod: Pod, state: CycleState): Map<string, number> {
  const weights = new Map<string, number>();
  const add = (key: string, value: string | undefined, w: number): void => {
    if (value !== undefined) weights.set(pair(key, value), (weights.get(pair(key, value)) ?? 0) + w);
  };
  const own = [
    ...(pod.spec?.affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((p) => ({ term: compile(pod, p.podAffinityTerm, state), weight: p.weight })),
    ...(pod.spec?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((p) => ({ term: compile(pod, p.podAffinityTerm, state), weight: -p.weight })),
  ];
  if (own.length === 0 && !anyPodsWithAffinity(state)) return weights;
  for (const node of state.allNodes) {
    if (own.length > 0) {
      for (const existing of node.pods()) for (const o of own) if (matches(o.term, existing)) add(o.term.topologyKey, valueOf(node, o.term.topologyKey), o.weight);
    }
    for (const existing of node.podsWithAffinity()) {
      for (const p of existing.spec?.affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
        if (matches(compile(existing, p.podAffinityTerm, state), pod)) add(p.podAffinityTerm.topologyKey, valueOf(node, p.podAffinityTerm.topologyKey), p.weight);
      }
      for (const p of existing.spec?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
        if (matches(compile(existing, p.podAffinityTerm, state), pod)) add(p.podAffinityTerm.topologyKey, valueOf(node, p.podAffinityTerm.topologyKey), -p.weight);
      }
    }
  }
  return weights;
}

/** INTER_POD_AFFINITY_SCORE is the score half (weight 2, as upstream's default profile). */
export const INTER_POD_AFFINITY_SCORE: ScorePlugin = {
  name: 'InterPodAffinity',
  weight: 2,
  skip: (pod, state) =>
    !pod.spec?.affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length &&
    !pod.spec?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length &&
    !anyPodsWithAffinity(state),
  score(pod, node, state) {
    const weights = state.read('InterPodAffinity/score', () => buildScoreState(pod, state));
    if (weights.size === 0) return 0;
    let total = 0;
    for (const [key, value] of Object.entries(node.node?.metadata?.labels ?? {})) total += weights.get(pair(key, value)) ?? 0;
    return total;
  },
  normalize(_pod, scores) {
    const max = Math.max(...scores.map((s) => s.score));
    const min = Math.min(...scores.map((s) => s.score));
    for (const s of scores) s.score = max === min ? 0 : Math.floor(((s.score - min) * MAX_NODE_SCORE) / (max - min));
  },
};
