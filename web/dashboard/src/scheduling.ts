/**
 * Scheduling explanations: the scheduler records on each pod, in the JSON annotation
 * `scheduler.tkube.io/explanation`, why it went where it went or why it is pending — per node, the filter that
 * rejected it (with reasons) or its weighted score per plugin (src/scheduler/scheduling-explanation.ts is the
 * writer; docs/scheduler.md the format). Here it is read defensively — it is only an annotation, which anyone may
 * edit — and drawn as a table.
 */
import { html } from 'htm/preact';
import type { KubeObject } from './api.js';

export const EXPLANATION_ANNOTATION = 'scheduler.tkube.io/explanation';

/** NodeVerdict is one node's part of an explanation: a rejecting filter with reasons, or scores. */
export interface NodeVerdict {
  filter?: string;
  reasons?: string[];
  score?: number;
  scores?: Record<string, number>;
}

/** SchedulingExplanation mirrors the annotation's JSON (the scheduler's SchedulingExplanation). */
export interface SchedulingExplanation {
  result: 'Scheduled' | 'Unschedulable';
  node?: string;
  time?: string;
  numAllNodes?: number;
  numChecked?: number;
  numFeasible?: number;
  message: string;
  nodes: Record<string, NodeVerdict>;
  omittedNodes?: number;
}

/** explanationOf reads a pod's explanation, or undefined when it has none or it is not the scheduler's JSON. */
export function explanationOf(pod: KubeObject): SchedulingExplanation | undefined {
  const annotations = (pod.metadata as { annotations?: Record<string, string> }).annotations;
  const raw = annotations?.[EXPLANATION_ANNOTATION];
  if (!raw) return undefined;
  try {
    const e = JSON.parse(raw) as Partial<SchedulingExplanation>;
    if (typeof e !== 'object' || e === null || typeof e.message !== 'string' || typeof e.nodes !== 'object' || e.nodes === null) return undefined;
    return { ...e, result: e.result === 'Scheduled' ? 'Scheduled' : 'Unschedulable', message: e.message, nodes: e.nodes };
  } catch {
    return undefined;
  }
}

/**
 * pendingReason is why an unscheduled pod waits, for the Pods table: the explanation's summary ("0/3 nodes are
 * available: …"), or else the PodScheduled=False condition's message (a scheduler that does not explain); undefined
 * for a pod bound to a node or one no scheduler has looked at yet.
 */
export function pendingReason(pod: KubeObject): string | undefined {
  if (pod.spec?.['nodeName'] || pod.metadata.deletionTimestamp) return undefined;
  const e = explanationOf(pod);
  if (e?.result === 'Unschedulable') return e.message;
  const conds = (pod.status?.['conditions'] as { type: string; status: string; message?: string }[] | undefined) ?? [];
  const c = conds.find((x) => x.type === 'PodScheduled' && x.status === 'False');
  return c?.message || undefined;
}

/** scoreBreakdown prints weighted per-plugin scores, largest first: "TaintToleration 300 · NodeResourcesFit 243". */
export function scoreBreakdown(scores: Record<string, number> | undefined): string {
  return Object.entries(scores ?? {})
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([plugin, s]) => `${plugin} ${s}`)
    .join(' · ');
}

/** SchedulingTable draws a pod's explanation: per node its verdict, and the reasons or the score breakdown. */
export function SchedulingTable(props: { pod: KubeObject }) {
  const e = explanationOf(props.pod);
  if (!e) {
    const why = pendingReason(props.pod);
    return html`<p data-testid="scheduling-none">${why ?? 'The scheduler has recorded no explanation for this pod.'}</p>`;
  }
  const counts = e.numAllNodes !== undefined ? ` ${e.numAllNodes} nodes, ${e.numChecked ?? e.numAllNodes} checked, ${e.numFeasible ?? 0} fit.` : '';
  // The scheduler lists feasible nodes best first, then rejected ones; keep that order.
  return html`<p class=${e.result === 'Scheduled' ? 'summary' : 'error'} data-testid="scheduling-summary">${e.message}${e.message.endsWith('.') ? '' : '.'}${counts}${e.time ? ` Decided ${e.time}.` : ''}</p>
    <table data-table="scheduling">
      <thead><tr><th>Node</th><th>Verdict</th><th>Score</th><th>Reasons or score per plugin (weighted)</th></tr></thead>
      <tbody>${Object.entries(e.nodes).map(([node, v]) => {
        const chosen = e.node === node;
        const rejected = v.filter !== undefined;
        const verdict = chosen ? '✓ chosen' : rejected ? `rejected by ${v.filter || 'a filter'}` : 'fits';
        return html`<tr key=${node} data-node=${node} class=${chosen ? 'chosen' : rejected ? 'rejected' : ''} aria-current=${chosen ? 'true' : undefined}>
          <td>${node}</td><td>${verdict}</td><td>${rejected ? '' : String(v.score ?? 0)}</td>
          <td>${rejected ? (v.reasons ?? []).join('; ') : scoreBreakdown(v.scores)}</td></tr>`;
      })}</tbody>
    </table>
    ${e.omittedNodes ? html`<p class="note">${e.omittedNodes} more nodes are not listed (the scheduler keeps the explanation small; the summary counts every node).</p>` : null}`;
}
