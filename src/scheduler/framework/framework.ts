/**
 * Framework: runs a profile's plugins for one pod (upstream's frameworkImpl plus the generic scheduler's
 * findNodesThatFit/prioritizeNodes). Synchronous and side-effect free: it reads NodeInfos and returns a decision
 * with everything needed to explain it.
 *
 * Contracts:
 *  - Filters run in profile order; a node's first non-success status is its verdict (later filters are skipped).
 *  - Like upstream, the search stops once `numFeasibleNodesToFind` nodes fit (all nodes up to 100, then an
 *    adaptive share, never under 5%); the next search starts where this one stopped, so load spreads.
 *  - Scores: each plugin's raw scores are normalized, multiplied by its weight and summed; the highest total
 *    wins, ties broken uniformly at random.
 */
import { CycleState, type NamespaceLabels } from './cycle-state.js';
import type { NodeInfo } from './node-info.js';
import type { Pod } from './objects.js';
import type { FilterPlugin, NodeScore, ScorePlugin } from './plugin.js';
import type { Status } from './status.js';

/** MIN_FEASIBLE_NODES_TO_FIND: below this many nodes every node is checked (upstream's constant). */
export const MIN_FEASIBLE_NODES_TO_FIND = 100;
/** MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND is the floor of the adaptive share (upstream's constant). */
export const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

/** NodeScoreBreakdown is one feasible node's total and per-plugin weighted scores. */
export interface NodeScoreBreakdown {
  readonly node: string;
  total: number;
  readonly byPlugin: Record<string, number>;
}

/** ScheduleResult is the outcome of one scheduling attempt. */
export interface ScheduleResult {
  /** The chosen node; undefined when no node fits. */
  readonly node?: string;
  /** How many nodes exist. */
  readonly numAllNodes: number;
  /** Nodes that failed a filter, with the failing plugin's status. */
  readonly rejected: ReadonlyMap<string, Status>;
  /** Scores of the feasible nodes that were ranked, best first. */
  readonly scores: readonly NodeScoreBreakdown[];
}

/** numFeasibleNodesToFind is upstream's adaptive search size. */
export function numFeasibleNodesToFind(numAllNodes: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  const percentage = Math.max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND, 50 - Math.floor(numAllNodes / 125));
  return Math.max(MIN_FEASIBLE_NODES_TO_FIND, Math.floor((numAllNodes * percentage) / 100));
}

/** Framework runs filter and score plugins. */
export class Framework {
  readonly #filters: readonly FilterPlugin[];
  readonly #scores: readonly ScorePlugin[];
  readonly #random: () => number;
  readonly #namespaces: () => readonly NamespaceLabels[];
  #nextStartIndex = 0;

  constructor(config: { filters: readonly FilterPlugin[]; scores: readonly ScorePlugin[]; random?: () => number; namespaces?: () => readonly NamespaceLabels[] }) {
    this.#filters = config.filters;
    this.#scores = config.scores;
    this.#random = config.random ?? Math.random;
    this.#namespaces = config.namespaces ?? (() => []);
  }

  /** newCycleState starts a cycle over `nodes` with the cluster lookups plugins may need. */
  newCycleState(nodes: readonly NodeInfo[]): CycleState {
    return new CycleState(nodes, this.#namespaces);
  }

  /** runFilters returns the first failing filter's status for a node, or undefined when every filter passes. */
  runFilters(pod: Pod, node: NodeInfo, state: CycleState = new CycleState([node]), filters: readonly FilterPlugin[] = this.#filters): Status | undefined {
    for (const f of filters) {
      const s = f.filter(pod, node, state);
      if (s.code !== 'Success') return { ...s, plugin: f.name };
    }
    return undefined;
  }

  /** schedule picks a node for `pod` among `nodes`. */
  schedule(pod: Pod, nodes: readonly NodeInfo[]): ScheduleResult {
    const state = this.newCycleState(nodes);
    const filters = this.#filters.filter((f) => !f.skip?.(pod, state));
    const want = numFeasibleNodesToFind(nodes.length);
    const feasible: NodeInfo[] = [];
    const rejected = new Map<string, Status>();
    const start = nodes.length === 0 ? 0 : this.#nextStartIndex % nodes.length;
    let checked = 0;
    for (; checked < nodes.length && feasible.length < want; checked++) {
      const n = nodes[(start + checked) % nodes.length];
      if (!n) continue;
      const verdict = this.runFilters(pod, n, state, filters);
      if (verdict) rejected.set(n.name, verdict);
      else feasible.push(n);
    }
    this.#nextStartIndex = nodes.length === 0 ? 0 : (start + checked) % nodes.length;
    if (feasible.length === 0) return { numAllNodes: nodes.length, rejected, scores: [] };
    const scores = this.scoreNodes(pod, feasible, state);
    return { node: this.#pick(scores), numAllNodes: nodes.length, rejected, scores };
  }

  /** scoreNodes ranks feasible nodes, best first. */
  scoreNodes(pod: Pod, feasible: readonly NodeInfo[], state: CycleState = new CycleState(feasible)): NodeScoreBreakdown[] {
    const out: NodeScoreBreakdown[] = feasible.map((n) => ({ node: n.name, total: 0, byPlugin: {} }));
    if (feasible.length === 1) return out; // One candidate: scoring cannot change the outcome (upstream skips it too).
    for (const p of this.#scores) {
      if (p.skip?.(pod, state)) continue;
      const raw: NodeScore[] = feasible.map((n) => ({ node: n.name, score: p.score(pod, n, state) }));
      p.normalize?.(pod, raw);
      raw.forEach((s, i) => {
        const b = out[i];
        if (!b) return;
        const weighted = s.score * p.weight;
        b.byPlugin[p.name] = weighted;
        b.total += weighted;
      });
    }
    return out.sort((a, b) => b.total - a.total);
  }

  #pick(scores: readonly NodeScoreBreakdown[]): string | undefined {
    const best = scores[0];
    if (!best) return undefined;
    const ties = scores.filter((s) => s.total === best.total);
    return ties[Math.floor(this.#random() * ties.length)]?.node ?? best.node;
  }
}
