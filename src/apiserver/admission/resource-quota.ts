/**
 * ResourceQuota: a create that would take a namespace past a ResourceQuota's `spec.hard` is refused with
 * upstream's `exceeded quota: <name>, requested: …, used: …, limited: …`. Usage is computed from the watch caches
 * at admission time; `status.hard`/`status.used` are rewritten (through the quota store's status subresource)
 * shortly after every admitted create or delete of a counted object and after a quota is created or changed, so
 * `kubectl describe quota` shows current usage without a separate quota controller. Quota scopes and scope
 * selectors are not evaluated: every quota covers every object of its namespace.
 */
import type { KubeObject } from '../../api/meta/types.js';
import { parseQuantity } from '../../api/validation/quantity.js';
import type { AdmissionAttributes, AdmissionPlugin } from './admission.js';
import { admissionForbidden } from './admission-forbidden.js';
import type { ObjectReader } from './object-reader.js';
import { asRecord, asRecords, type JsonRecord } from './pod-containers.js';
import { formatQuantity } from './quantity-format.js';

/** Core resources counted by their plain name in `spec.hard` (e.g. `pods: "10"`). */
const COUNTED_CORE = ['pods', 'services', 'configmaps', 'secrets', 'persistentvolumeclaims', 'replicationcontrollers', 'resourcequotas'];
/** Compute resources a pod's containers consume, by quota name → (side, resource). */
const POD_COMPUTE: Readonly<Record<string, readonly ['requests' | 'limits', string]>> = {
  cpu: ['requests', 'cpu'],
  memory: ['requests', 'memory'],
  'requests.cpu': ['requests', 'cpu'],
  'requests.memory': ['requests', 'memory'],
  'limits.cpu': ['limits', 'cpu'],
  'limits.memory': ['limits', 'memory'],
  'ephemeral-storage': ['requests', 'ephemeral-storage'],
  'requests.ephemeral-storage': ['requests', 'ephemeral-storage'],
  'limits.ephemeral-storage': ['limits', 'ephemeral-storage'],
};
/** Compute quota names a pod must declare for every container once a quota limits them. */
const MUST_SPECIFY = ['requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory', 'cpu', 'memory'];

/** Usage maps quota resource names to amounts. */
type Usage = Map<string, number>;

function isTerminalPod(pod: KubeObject): boolean {
  const phase = asRecord(pod['status'])['phase'];
  return phase === 'Succeeded' || phase === 'Failed';
}

function podAmount(pod: KubeObject, side: 'requests' | 'limits', resource: string): number {
  const spec = asRecord(pod['spec']);
  const of = (c: JsonRecord): number => parseQuantity(asRecord(asRecord(c['resources'])[side])[resource]) ?? 0;
  const sum = asRecords(spec['containers']).reduce((n, c) => n + of(c), 0);
  // Init containers run one at a time before the others: the pod needs the larger of the two.
  const init = asRecords(spec['initContainers']).reduce((n, c) => Math.max(n, of(c)), 0);
  return Math.max(sum, init);
}

/** usageOf is what one object consumes of each resource a quota can name. */
function usageOf(group: string, resource: string, obj: KubeObject, hard: readonly string[]): Usage {
  const usage: Usage = new Map();
  const countName = group === '' ? `count/${resource}` : `count/${resource}.${group}`;
  if (resource === 'pods' && group === '' && isTerminalPod(obj)) return usage;
  usage.set(countName, 1);
  if (group === '' && COUNTED_CORE.includes(resource)) usage.set(resource, 1);
  if (group === '' && resource === 'services') {
    const type = asRecord(obj['spec'])['type'];
    if (type === 'LoadBalancer') usage.set('services.loadbalancers', 1);
    if (type === 'NodePort' || type === 'LoadBalancer') usage.set('services.nodeports', asRecords(asRecord(obj['spec'])['ports']).length);
  }
  if (group === '' && resource === 'pods') {
    for (const name of hard) {
      const compute = POD_COMPUTE[name];
      if (compute) usage.set(name, podAmount(obj, compute[0], compute[1]));
    }
  }
  if (group === '' && resource === 'persistentvolumeclaims') {
    const storage = parseQuantity(asRecord(asRecord(asRecord(obj['spec'])['resources'])['requests'])['storage']) ?? 0;
    usage.set('requests.storage', storage);
  }
  return usage;
}

/** The (group, resource) a quota resource name counts. */
function countedResource(name: string): [string, string] | undefined {
  if (COUNTED_CORE.includes(name)) return ['', name];
  if (name.startsWith('services.')) return ['', 'services'];
  if (name in POD_COMPUTE) return ['', 'pods'];
  if (name === 'requests.storage') return ['', 'persistentvolumeclaims'];
  if (!name.startsWith('count/')) return undefined;
  const rest = name.slice('count/'.length);
  const dot = rest.indexOf('.');
  return dot < 0 ? ['', rest] : [rest.slice(dot + 1), rest.slice(0, dot)];
}

function isBinaryResource(name: string): boolean {
  return name.includes('memory') || name.includes('storage');
}

function pretty(names: readonly string[], usage: Usage): string {
  return [...names]
    .sort()
    .map((n) => `${n}=${formatQuantity(usage.get(n) ?? 0, isBinaryResource(n))}`)
    .join(',');
}

/** ResourceQuotaOptions tune the plugin. */
export interface ResourceQuotaOptions {
  /** Delays after a write at which quota status is recomputed. @default [100, 1000] */
  readonly refreshDelaysMs?: readonly number[];
  /** Reports a failed status refresh. @default ignore */
  readonly onError?: (err: unknown) => void;
}

/** ResourceQuota is upstream's ResourceQuota plugin with the usage recalculation folded in. */
export class ResourceQuota implements AdmissionPlugin {
  readonly name = 'ResourceQuota';
  readonly #reader: ObjectReader;
  readonly #delays: readonly number[];
  readonly #onError: (err: unknown) => void;
  readonly #pending = new Map<string, NodeJS.Timeout[]>();

  constructor(reader: ObjectReader, options: ResourceQuotaOptions = {}) {
    this.#reader = reader;
    this.#delays = options.refreshDelaysMs ?? [100, 1000];
    this.#onError = options.onError ?? (() => undefined);
  }

  handles(a: AdmissionAttributes): boolean {
    return a.namespace !== '' && a.subresource === '' && (a.operation === 'CREATE' || a.operation === 'DELETE' || a.resource === 'resourcequotas');
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.group === '' && a.resource === 'resourcequotas') {
      if (!a.dryRun) this.#scheduleRefresh(a.namespace);
      if (a.operation !== 'CREATE') return;
    }
    const quotas = (await this.#reader.list('', 'resourcequotas', a.namespace)).filter((q) => Object.keys(asRecord(asRecord(q['spec'])['hard'])).length > 0);
    if (quotas.length === 0) return;
    if (a.operation === 'CREATE' && a.object) {
      for (const quota of quotas) await this.#check(a, quota, a.object);
    }
    if (!a.dryRun) this.#scheduleRefresh(a.namespace);
  }

  async #check(a: AdmissionAttributes, quota: KubeObject, obj: KubeObject): Promise<void> {
    const hard = asRecord(asRecord(quota['spec'])['hard']);
    const names = Object.keys(hard);
    const requested = usageOf(a.group, a.resource, obj, names);
    const covered = names.filter((n) => requested.has(n));
    if (covered.length === 0) return;
    const quotaName = quota.metadata?.name ?? '';
    if (a.group === '' && a.resource === 'pods') {
      const missing: string[] = [];
      for (const name of names.filter((n) => MUST_SPECIFY.includes(n))) {
        const [side, resource] = POD_COMPUTE[name] ?? ['requests', name];
        const lacking = asRecords(asRecord(obj['spec'])['containers'])
          .filter((c) => asRecord(asRecord(c['resources'])[side])[resource] === undefined)
          .map((c) => String(c['name']));
        if (lacking.length > 0) missing.push(`${name} for: ${lacking.join(',')}`);
      }
      if (missing.length > 0) throw admissionForbidden(a, `failed quota: ${quotaName}: must specify ${missing.sort().join('; ')}`);
    }
    const used = await this.#usage(a.namespace, covered);
    const exceeded = covered.filter((n) => (used.get(n) ?? 0) + (requested.get(n) ?? 0) > (parseQuantity(hard[n]) ?? Infinity));
    if (exceeded.length === 0) return;
    const limited: Usage = new Map(exceeded.map((n) => [n, parseQuantity(hard[n]) ?? 0]));
    throw admissionForbidden(
      a,
      `exceeded quota: ${quotaName}, requested: ${pretty(exceeded, requested)}, used: ${pretty(exceeded, used)}, limited: ${pretty(exceeded, limited)}`,
    );
  }

  /** #usage sums what the namespace's current objects consume of each named quota resource. */
  async #usage(namespace: string, names: readonly string[]): Promise<Usage> {
    const usage: Usage = new Map(names.map((n) => [n, 0]));
    const byResource = new Map<string, [string, string]>();
    for (const n of names) {
      const gr = countedResource(n);
      if (gr) byResource.set(gr.join('/'), gr);
    }
    for (const [group, resource] of byResource.values()) {
      for (const obj of await this.#reader.list(group, resource, namespace)) {
        for (const [k, v] of usageOf(group, resource, obj, names)) {
          if (usage.has(k)) usage.set(k, (usage.get(k) ?? 0) + v);
        }
      }
    }
    return usage;
  }

  #scheduleRefresh(namespace: string): void {
    for (const timer of this.#pending.get(namespace) ?? []) clearTimeout(timer);
    const timers = this.#delays.map((ms) => {
      const t = setTimeout(() => void this.refresh(namespace).catch(this.#onError), ms);
      t.unref();
      return t;
    });
    this.#pending.set(namespace, timers);
  }

  /** refresh rewrites `status.hard` and `status.used` of every quota of a namespace from current usage. */
  async refresh(namespace: string): Promise<void> {
    for (const quota of await this.#reader.list('', 'resourcequotas', namespace)) {
      const hard = asRecord(asRecord(quota['spec'])['hard']);
      const names = Object.keys(hard);
      const used = await this.#usage(namespace, names);
      const usedText: Record<string, string> = {};
      for (const n of names) usedText[n] = formatQuantity(used.get(n) ?? 0, isBinaryResource(n));
      const status = { hard: { ...hard }, used: usedText };
      if (JSON.stringify(quota['status'] ?? {}) === JSON.stringify(status)) continue;
      await this.#reader.updateStatus('', 'resourcequotas', namespace, quota.metadata?.name ?? '', (q) => ({ ...q, status }));
    }
  }

  /** stop cancels pending status refreshes. */
  stop(): void {
    for (const timers of this.#pending.values()) for (const t of timers) clearTimeout(t);
    this.#pending.clear();
  }
}
