/**
 * Scheduling explanations: the scheduler puts on each decision's Event (`Scheduled` or `FailedScheduling`), in
 * the JSON annotation `scheduler.tkube.io/explanation`, why the pod went where it went or why it is pending — per
 * node, the filter that rejected it (with reasons) or its weighted score per plugin
 * (src/scheduler/scheduling-explanation.ts is the writer; docs/scheduler.md the format). The pod page watches the
 * pod's Events (by its uid) and draws the latest such Event's explanation as a table. It is read defensively — it
 * is only an annotation, which anyone may edit.
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { KubeObject } from './api.js';
import { Informer } from './informer.js';

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

/** SCHEDULING_REASONS are the reasons of the Events that carry the scheduler's decisions. */
const SCHEDULING_REASONS = new Set(['Scheduled', 'FailedScheduling']);

/** explanationOf reads an Event's explanation, or undefined when it has none or it is not the scheduler's JSON. */
export function explanationOf(event: KubeObject): SchedulingExplanation | undefined {
  const annotations = (event.metadata as { annotations?: Record<string, string> }).annotations;
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
 * latestSchedulingEvent is the newest of a pod's Events that carry a scheduling decision (by last timestamp, then
 * by resourceVersion: a repeat of the same failure updates its Event), or undefined.
 */
export function latestSchedulingEvent(events: readonly KubeObject[]): KubeObject | undefined {
  let latest: KubeObject | undefined;
  const when = (e: KubeObject): string => String(e['lastTimestamp'] ?? e['eventTime'] ?? '');
  for (const e of events) {
    if (!SCHEDULING_REASONS.has(String(e['reason'] ?? ''))) continue;
    if (!latest || when(e) > when(latest) || (when(e) === when(latest) && Number(e.metadata.resourceVersion ?? 0) > Number(latest.metadata.resourceVersion ?? 0))) latest = e;
  }
  return latest;
}

/**
 * useSchedulingExplanation follows the pod's Events while the page shows it and returns the latest decision's
 * explanation (undefined until the scheduler wrote one).
 */
function useSchedulingExplanation(pod: KubeObject): SchedulingExplanation | undefined {
  const [events, setEvents] = useState<KubeObject[]>([]);
  const ns = pod.metadata.namespace ?? '';
  const uid = pod.metadata.uid ?? '';
  useEffect(() => {
    setEvents([]);
    if (!uid) return;
    const informer = new Informer(`/api/v1/namespaces/${encodeURIComponent(ns)}/events?fieldSelector=${encodeURIComponent(`involvedObject.uid=${uid}`)}`);
    const off = informer.subscribe(() => setEvents(informer.list()));
    return () => {
      off();
      informer.stop();
    };
  }, [ns, uid]);
  const latest = latestSchedulingEvent(events);
  return latest ? explanationOf(latest) : undefined;
}

/**
 * pendingReason is why an unscheduled pod waits, for the Pods table: its PodScheduled=False condition's message
 * (the scheduler's summary, "0/3 nodes are available: …"); undefined for a pod bound to a node or one no scheduler
 * has looked at yet.
 */
export function pendingReason(pod: KubeObject): string | undefined {
  if (pod.spec?.['nodeName'] || pod.metadata.deletionTimestamp) return undefined;
  const conds = (pod.status?.['conditions'] as { type: string; status: string; message?: string }[] | undefined) ?? [];
  const c = conds.find((x) => x.type === 'PodScheduled' && x.status === 'False');
  return c?.message || undefined;
}

/**
 * unexplainedText is what the pod page says when no Event of the pod carries an explanation: for a pending pod its
 * PodScheduled=False message (the scheduler's summary); for a bound one, where it runs and since when, and why
 * the "why there" is missing. The scheduler writes events as the server has room and drops `Scheduled` ones when
 * its queue is full (a burst of thousands of pods); Events also expire after an hour; and a pod placed by another
 * scheduler or by its own spec.nodeName never had one. The explanation is not kept on the pod (docs/scheduler.md).
 */
export function unexplainedText(pod: KubeObject): string {
  const pending = pendingReason(pod);
  if (pending) return `${pending} (no per-node explanation: the scheduler's FailedScheduling Event for it is not written yet or has expired)`;
  const node = pod.spec?.['nodeName'] as string | undefined;
  if (!node) return 'The scheduler has not decided about this pod yet.';
  const conds = (pod.status?.['conditions'] as { type: string; status: string; lastTransitionTime?: string }[] | undefined) ?? [];
  const scheduled = conds.find((x) => x.type === 'PodScheduled' && x.status === 'True');
  const since = scheduled?.lastTransitionTime ? ` since ${scheduled.lastTransitionTime}` : '';
  const schedulerName = (pod.spec?.['schedulerName'] as string | undefined) || 'default-scheduler';
  if (schedulerName !== 'default-scheduler') return `Bound to ${node}${since} by ${schedulerName}, which records no explanation.`;
  return `Bound to ${node}${since}. No explanation is recorded: the scheduler's Scheduled Event for this pod was dropped (its event queue was full during a burst of pods), has expired (Events are kept an hour), or the pod named its node itself (spec.nodeName).`;
}

/** scoreBreakdown prints weighted per-plugin scores, largest first: "TaintToleration 300 · NodeResourcesFit 243". */
export function scoreBreakdown(scores: Record<string, number> | undefined): string {
  return Object.entries(scores ?? {})
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([plugin, s]) => `${plugin} ${s}`)
    .join(' · ');
}

/** SchedulingTable draws a pod's latest explanation: per node its verdict, and the reasons or the score breakdown. */
export function SchedulingTable(props: { pod: KubeObject }) {
  const e = useSchedulingExplanation(props.pod);
  if (!e) return html`<p data-testid="scheduling-none">${unexplainedText(props.pod)}</p>`;
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
