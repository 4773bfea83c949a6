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
 *    wins, ties broken uniformly at random. Totals are kept in flat arrays; the per-plugin breakdown is built only
 *    for the best `keptScores` nodes (what an explanation shows), not for every feasible node.
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
  /** How many nodes passed every filter (the search stops once enough did). */
  readonly numFeasible: number;
  /** Scores of the best-ranked feasible nodes, best first: all of them, or the framework's `keptScores` best. */
  readonly scores: readonly NodeScoreBreakdown[];
}

/** ScheduleOptions are what the caller knows about the cluster that saves the plugins a walk over every node. */
export interface ScheduleOptions {
  /** Pods with pod affinity or anti-affinity terms on `nodes` (see CycleState.podsWithAffinity). */
  readonly podsWithAffinity?: number;
}

/** Ranking is every feasible node's total and each scoring plugin's weighted scores, in the order of the nodes. */
interface Ranking {
  readonly totals: Float64Array;
  readonly byPlugin: readonly { readonly name: string; readonly weighted: Float64Array }[];
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
  readonly #keptScores: number;
  #nextStartIndex = 0;
  /** NodeScores reused by every scoring plugin of every cycle (a cycle is synchronous): no per-node allocation. */
  readonly #scratch: NodeScore[] = [];

  /**
   * `keptScores` bounds ScheduleResult.scores to the best that many nodes (the scheduler keeps what its
   * explanation shows). @default every feasible node
   */
  constructor(config: { filters: readonly FilterPlugin[]; scores: readonly ScorePlugin[]; random?: () => number; namespaces?: () => readonly NamespaceLabels[]; keptScores?: number }) {
    this.#filters = config.filters;
    this.#scores = config.scores;
    this.#random = config.random ?? Math.random;
    this.#namespaces = config.namespaces ?? (() => []);
    this.#keptScores = config.keptScores ?? Infinity;
  }

  /** newCycleState starts a cycle over `nodes` with the cluster lookups plugins may need. */
  newCycleState(nodes: readonly NodeInfo[], options: ScheduleOptions = {}): CycleState {
    return new CycleState(nodes, this.#namespaces, options.podsWithAffinity);
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
  schedule(pod: Pod, nodes: readonly NodeInfo[], options: ScheduleOptions = {}): ScheduleResult {
    const state = this.newCycleState(nodes, options);
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
    if (feasible.length === 0) return { numAllNodes: nodes.length, rejected, numFeasible: 0, scores: [] };
    const ranking = this.#rank(pod, feasible, state);
    const chosen = feasible[this.#pick(ranking.totals)];
    return { node: chosen?.name, numAllNodes: nodes.length, rejected, numFeasible: feasible.length, scores: breakdowns(feasible, ranking, this.#keptScores) };
  }

  /** scoreNodes ranks feasible nodes, best first, with every plugin's weighted score. */
  scoreNodes(pod: Pod, feasible: readonly NodeInfo[], state: CycleState = new CycleState(feasible)): NodeScoreBreakdown[] {
    return breakdowns(feasible, this.#rank(pod, feasible, state), Infinity);
  }

  /** #rank scores every feasible node with every plugin that has a preference for `pod`. */
  #rank(pod: Pod, feasible: readonly NodeInfo[], state: CycleState): Ranking {
    const n = feasible.length;
    const totals = new Float64Array(n);
    const byPlugin: { name: string; weighted: Float64Array }[] = [];
    if (n === 1) return { totals, byPlugin }; // One candidate: scoring cannot change the outcome (upstream skips it too).
    const raw = this.#scratch;
    for (const p of this.#scores) {
      if (p.skip?.(pod, state)) continue;
      raw.length = n;
      for (let i = 0; i < n; i++) {
        const node = feasible[i]!;
        const score = p.score(pod, node, state);
        const slot = raw[i] as { node: string; score: number } | undefined;
        if (slot) {
          slot.node = node.name;
          slot.score = score;
        } else {
          raw[i] = { node: node.name, score };
        }
      }
      p.normalize?.(pod, raw);
      const weighted = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const w = raw[i]!.score * p.weight;
        weighted[i] = w;
        totals[i]! += w;
      }
      byPlugin.push({ name: p.name, weighted });
    }
    return { totals, byPlugin };
  }

  /** #pick is the index of a highest total, ties broken uniformly at random (in node order for a given draw). */
  #pick(totals: Float64Array): number {
    let best = -Infinity;
    let ties = 0;
    for (const t of totals) {
      if (t > best) {
        best = t;
        ties = 1;
      } else if (t === best) ties++;
    }
    let k = Math.min(ties - 1, Math.floor(this.#random() * ties));
    for (let i = 0; i < totals.length; i++) if (totals[i] === best && k-- === 0) return i;
    return 0;
  }
}

/** breakdowns lists the `keep` best nodes of a ranking, best first (equal totals in node order). */
function breakdowns(feasible: readonly NodeInfo[], ranking: Ranking, keep: number): NodeScoreBreakdown[] {
  const { totals, byPlugin } = ranking;
  return bestIndices(totals, keep).map((i) => {
    const scores: Record<string, number> = {};
    for (const p of byPlugin) scores[p.name] = p.weighted[i]!;
    return { node: feasible[i]!.name, total: totals[i]!, byPlugin: scores };
  });
}

/** bestIndices lists the indices of the `keep` highest totals, highest first, equal totals in index order. */
function bestIndices(totals: Float64Array, keep: number): number[] {
  if (keep >= totals.length) return Array.from({ length: totals.length }, (_, i) => i).sort((a, b) => totals[b]! - totals[a]! || a - b);
  // A few out of hundreds: one pass with a short sorted list beats sorting them all.
  const top: number[] = [];
  for (let i = 0; i < totals.length; i++) {
    const t = totals[i]!;
    if (top.length === keep && t <= totals[top[keep - 1]!]!) continue;
    let at = top.length;
    while (at > 0 && totals[top[at - 1]!]! < t) at--;
    top.splice(at, 0, i);
    if (top.length > keep) top.pop();
  }
  return top;
}
