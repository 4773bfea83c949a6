/**
 * History: the time series the graphs draw, sampled from the live informers (and the metrics API when the server
 * has one) every SAMPLE_MS. Watches keep the informers current, so a sample is a read of memory, not a request;
 * only node and pod usage are fetched, because the metrics API has no watch. Ten minutes are kept.
 */
import { getJson, type KubeObject } from './api.js';
import { informerFor, keyOf } from './informer.js';
import { quantity } from './format.js';

export const SAMPLE_MS = 1_000;
const KEEP = 600;

/** Series is one line on a graph: values aligned with History.times (null = no sample then). */
export type Series = (number | null)[];

export const WORKLOAD_KINDS: readonly { kind: string; path: string }[] = [
  { kind: 'Deployment', path: '/apis/apps/v1/deployments' },
  { kind: 'StatefulSet', path: '/apis/apps/v1/statefulsets' },
  { kind: 'DaemonSet', path: '/apis/apps/v1/daemonsets' },
  { kind: 'ReplicaSet', path: '/apis/apps/v1/replicasets' },
  { kind: 'ReplicationController', path: '/api/v1/replicationcontrollers' },
];
export const HPA_PATH = '/apis/autoscaling/v2/horizontalpodautoscalers';

/** desiredAndReady reads a workload's requested and ready replica counts. */
export function desiredAndReady(kind: string, o: KubeObject): [number, number] {
  const st = o.status ?? {};
  if (kind === 'DaemonSet') return [Number(st['desiredNumberScheduled'] ?? 0), Number(st['numberReady'] ?? 0)];
  return [Number(o.spec?.['replicas'] ?? 1), Number(st['readyReplicas'] ?? 0)];
}

interface MetricStatus {
  type: string;
  resource?: { name: string; current?: { averageUtilization?: number; averageValue?: string } };
  pods?: { metric: { name: string }; current?: { averageValue?: string } };
  object?: { metric: { name: string }; current?: { value?: string; averageValue?: string } };
  external?: { metric: { name: string }; current?: { value?: string; averageValue?: string } };
}

/** hpaMetric reads an HPA's first current metric as a number, with its name. */
export function hpaMetric(hpa: KubeObject): { name: string; value: number } | undefined {
  const m = ((hpa.status?.['currentMetrics'] as MetricStatus[] | undefined) ?? [])[0];
  if (!m) return undefined;
  if (m.resource) return { name: `${m.resource.name} %`, value: m.resource.current?.averageUtilization ?? quantity(m.resource.current?.averageValue) };
  const src = m.pods ?? m.object ?? m.external;
  if (!src) return undefined;
  const cur = src.current as { value?: string; averageValue?: string } | undefined;
  return { name: src.metric.name, value: quantity(cur?.value ?? cur?.averageValue) };
}

class History {
  readonly times: number[] = [];
  readonly series = new Map<string, Series>();
  readonly #listeners = new Set<() => void>();
  #timer: number | undefined;
  #metricsAvailable = true;
  #usage = new Map<string, number>();

  subscribe(l: () => void): () => void {
    this.#listeners.add(l);
    this.#start();
    return () => this.#listeners.delete(l);
  }

  get(name: string): Series {
    return this.series.get(name) ?? [];
  }

  #start(): void {
    if (this.#timer !== undefined) return;
    // Subscribing starts the informers the samples read.
    for (const w of WORKLOAD_KINDS) informerFor(w.path).subscribe(() => undefined);
    informerFor(HPA_PATH).subscribe(() => undefined);
    informerFor('/api/v1/pods').subscribe(() => undefined);
    this.#timer = window.setInterval(() => void this.#sample(), SAMPLE_MS);
    void this.#sample();
  }

  #record(values: Map<string, number>): void {
    const n = this.times.length;
    this.times.push(Date.now() / 1000);
    for (const [name, v] of values) {
      let s = this.series.get(name);
      if (!s) {
        s = new Array<number | null>(n).fill(null);
        this.series.set(name, s);
      }
      s.push(v);
    }
    for (const [name, s] of this.series) if (!values.has(name)) s.push(null);
    if (this.times.length > KEEP) {
      this.times.shift();
      for (const s of this.series.values()) s.shift();
    }
    for (const l of this.#listeners) l();
  }

  async #sample(): Promise<void> {
    const values = new Map<string, number>();
    let desired = 0;
    let ready = 0;
    for (const w of WORKLOAD_KINDS) {
      for (const o of informerFor(w.path).list()) {
        // ReplicaSets owned by a Deployment are drawn as their Deployment.
        if (w.kind === 'ReplicaSet' && (o.metadata.ownerReferences ?? []).some((r) => r.controller)) continue;
        const [d, r] = desiredAndReady(w.kind, o);
        values.set(`${w.kind}/${keyOf(o)}/desired`, d);
        values.set(`${w.kind}/${keyOf(o)}/ready`, r);
        desired += d;
        ready += r;
      }
    }
    values.set('cluster/desired', desired);
    values.set('cluster/ready', ready);
    values.set('cluster/pods-running', informerFor('/api/v1/pods').list().filter((p) => p.status?.['phase'] === 'Running').length);
    for (const h of informerFor(HPA_PATH).list()) {
      const m = hpaMetric(h);
      if (m) values.set(`hpa/${keyOf(h)}/metric`, m.value);
      values.set(`hpa/${keyOf(h)}/replicas`, Number(h.status?.['currentReplicas'] ?? 0));
      values.set(`hpa/${keyOf(h)}/desired`, Number(h.status?.['desiredReplicas'] ?? 0));
    }
    if (this.#metricsAvailable && this.times.length % 5 === 0) await this.#fetchUsage();
    for (const [k, v] of this.#usage) values.set(k, v);
    this.#record(values);
  }

  /** Node and pod usage from metrics.k8s.io, every fifth sample; absent API: stop asking. */
  async #fetchUsage(): Promise<void> {
    try {
      const usage = new Map<string, number>();
      const nodes = await getJson<{ items: { metadata: { name: string }; usage: { cpu: string; memory: string } }[] }>('/apis/metrics.k8s.io/v1beta1/nodes');
      for (const n of nodes.items) {
        usage.set(`node/${n.metadata.name}/cpu`, quantity(n.usage.cpu));
        usage.set(`node/${n.metadata.name}/memory`, quantity(n.usage.memory));
      }
      const pods = await getJson<{ items: { metadata: { name: string; namespace: string }; containers: { usage: { cpu: string; memory: string } }[] }[] }>('/apis/metrics.k8s.io/v1beta1/pods');
      for (const p of pods.items) {
        const key = `${p.metadata.namespace}/${p.metadata.name}`;
        usage.set(`pod/${key}/cpu`, p.containers.reduce((s, c) => s + quantity(c.usage.cpu), 0));
        usage.set(`pod/${key}/memory`, p.containers.reduce((s, c) => s + quantity(c.usage.memory), 0));
      }
      this.#usage = usage;
    } catch (err) {
      if ((err as { code?: number }).code === 404) this.#metricsAvailable = false;
    }
  }
}

export const history = new History();
