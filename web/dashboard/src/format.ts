/** Display rules shared by the views, matching what kubectl prints where kubectl prints the same thing. */
import type { KubeObject } from './api.js';

/** age prints a creation time as kubectl's AGE column does (5s, 3m, 2h, 4d). */
export function age(ts: string | undefined, now = Date.now()): string {
  if (!ts) return '';
  const s = Math.max(0, Math.floor((now - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

interface ContainerStatus {
  ready?: boolean;
  restartCount?: number;
  state?: { waiting?: { reason?: string }; terminated?: { reason?: string; exitCode?: number } };
}

function containerStatuses(pod: KubeObject): ContainerStatus[] {
  return ((pod.status?.['containerStatuses'] as ContainerStatus[] | undefined) ?? []);
}

/** podStatus is kubectl's STATUS column in its common cases. */
export function podStatus(pod: KubeObject): string {
  if (pod.metadata.deletionTimestamp) return 'Terminating';
  for (const c of containerStatuses(pod)) {
    if (c.state?.waiting?.reason) return c.state.waiting.reason;
    if (c.state?.terminated?.reason && pod.status?.['phase'] === 'Running') return c.state.terminated.reason;
  }
  return String(pod.status?.['reason'] ?? pod.status?.['phase'] ?? 'Pending');
}

export function podReady(pod: KubeObject): string {
  const cs = containerStatuses(pod);
  const total = ((pod.spec?.['containers'] as unknown[] | undefined) ?? []).length;
  return `${cs.filter((c) => c.ready).length}/${total}`;
}

export function podRestarts(pod: KubeObject): number {
  return containerStatuses(pod).reduce((n, c) => n + (c.restartCount ?? 0), 0);
}

/** nodeReady is the node's Ready condition as kubectl's STATUS column prints it. */
export function nodeStatus(node: KubeObject): string {
  const conds = (node.status?.['conditions'] as { type: string; status: string }[] | undefined) ?? [];
  const ready = conds.find((c) => c.type === 'Ready');
  const s = ready?.status === 'True' ? 'Ready' : ready?.status === 'False' ? 'NotReady' : 'Unknown';
  return node.spec?.['unschedulable'] ? `${s},SchedulingDisabled` : s;
}

export function nodeRoles(node: KubeObject): string {
  const roles = Object.keys(node.metadata.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length));
  return roles.length > 0 ? roles.sort().join(',') : '<none>';
}

/** quantity parses a Kubernetes quantity (100m, 2, 512Mi, 1G) to a number of base units. */
export function quantity(q: string | undefined): number {
  if (!q) return 0;
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(q);
  if (!m) return 0;
  const n = Number(m[1]);
  const unit = m[2] ?? '';
  const factors: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };
  return n * (factors[unit] ?? 1);
}

export function bytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)}Gi`;
  if (n >= 1024 ** 2) return `${Math.round(n / 1024 ** 2)}Mi`;
  return `${Math.round(n / 1024)}Ki`;
}

export function cores(n: number): string {
  return n >= 1 ? n.toFixed(2) : `${Math.round(n * 1000)}m`;
}
