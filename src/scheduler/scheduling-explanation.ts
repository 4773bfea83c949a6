/**
 * SchedulingExplanation: why a pod went where it went, or why it is pending — per node, the filter that
 * rejected it (plugin and reasons) or its weighted scores per plugin. Beyond upstream; stored on the pod as the
 * JSON annotation `scheduler.tkube.io/explanation` (see docs/scheduler.md), written with the binding (one write)
 * or with the FailedScheduling condition.
 */
import { formatTimestamp } from '../api/meta/timestamp.js';
import type { ScheduleResult } from './framework/framework.js';

/** EXPLANATION_ANNOTATION is the pod annotation holding the latest explanation. */
export const EXPLANATION_ANNOTATION = 'scheduler.tkube.io/explanation';

/**
 * MAX_EXPLAINED_NODES bounds the per-node entries. The annotation rides on every later event of the pod (watch
 * fan-out, storage), so it stays around 2 KiB; the message summarises the rejections across all nodes.
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
  /** Entries left out to respect the bound. */
  omittedNodes: number;
}

/** explain builds the explanation of a scheduling result. */
export function explain(result: ScheduleResult, message: string, nowMs: number): SchedulingExplanation {
  const nodes: Record<string, NodeExplanation> = {};
  let kept = 0;
  let omitted = 0;
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
    numChecked: result.rejected.size + result.scores.length,
    numFeasible: result.scores.length,
    message,
    nodes,
    omittedNodes: omitted,
  };
}
