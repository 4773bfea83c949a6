/**
 * SchedulingExplanation: why a pod went where it went, or why it is pending — per node, the filter that
 * rejected it (plugin and reasons) or its weighted scores per plugin. Beyond upstream; carried by the decision's
 * `Scheduled` or `FailedScheduling` Event as the JSON annotation `scheduler.tkube.io/explanation` (see
 * docs/scheduler.md), not by the pod: on the pod it would ride every later version of it (storage, watch events,
 * caches), while an Event is written once and expires.
 */
import { formatTimestamp } from '../api/meta/timestamp.js';
import type { ScheduleResult } from './framework/framework.js';

/** EXPLANATION_ANNOTATION is the scheduling Event's annotation holding the explanation of that decision. */
export const EXPLANATION_ANNOTATION = 'scheduler.tkube.io/explanation';

/**
 * MAX_EXPLAINED_NODES bounds the per-node entries, so an explanation stays around 1–2 KiB per decision; the message
 * summarises the rejections across all nodes.
 */
export const MAX_EXPLAINED_NODES = 10;

/** NodeExplanation is one node's part of the explanation. */
export interface NodeExplanation {
  /** The filter that rejected the node (absent when it fit). */
  filter?: string;
  reasons?: string[];
  /** Weighted total and per-plugin weighted scores (feasible nodes). */
  score?: number;
  scores?: Record<string, number>;
}

/** SchedulingExplanation is the annotation's JSON. */
export interface SchedulingExplanation {
  /** "Scheduled" or "Unschedulable". */
  result: 'Scheduled' | 'Unschedulable';
  /** The chosen node. */
  node?: string;
  /** When the decision was made (RFC 3339). */
  time: string;
  /** Nodes in the cluster, nodes checked by filters, nodes that fit. */
  numAllNodes: number;
  numChecked: number;
  numFeasible: number;
  /** The summary message (the FailedScheduling text when unschedulable). */
  message: string;
  /** Per node, best-ranked feasible nodes first, then rejected ones; at most MAX_EXPLAINED_NODES. */
  nodes: Record<string, NodeExplanation>;
  /** Entries left out to respect the bound (feasible nodes not ranked among the best, rejected nodes). */
  omittedNodes: number;
}

/** explain builds the explanation of a scheduling result. */
export function explain(result: ScheduleResult, message: string, nowMs: number): SchedulingExplanation {
  const nodes: Record<string, NodeExplanation> = {};
  let kept = 0;
  // Feasible nodes beyond the scores the framework kept are left out too.
  let omitted = result.numFeasible - result.scores.length;
  for (const s of result.scores) {
    if (kept >= MAX_EXPLAINED_NODES) {
      omitted++;
      continue;
    }
    nodes[s.node] = { score: s.total, scores: { ...s.byPlugin } };
    kept++;
  }
  for (const [name, status] of result.rejected) {
    if (kept >= MAX_EXPLAINED_NODES) {
      omitted++;
      continue;
    }
    nodes[name] = { filter: status.plugin ?? '', reasons: [...status.reasons] };
    kept++;
  }
  return {
    result: result.node ? 'Scheduled' : 'Unschedulable',
    ...(result.node ? { node: result.node } : {}),
    time: formatTimestamp(nowMs),
    numAllNodes: result.numAllNodes,
    numChecked: result.rejected.size + result.numFeasible,
    numFeasible: result.numFeasible,
    message,
    nodes,
    omittedNodes: omitted,
  };
}
