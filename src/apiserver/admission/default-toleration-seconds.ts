/**
 * DefaultTolerationSeconds: every new pod tolerates the `node.kubernetes.io/not-ready` and
 * `node.kubernetes.io/unreachable` NoExecute taints for 300 s unless it says otherwise (upstream's plugin), so a
 * node that misses a few heartbeats does not have its pods evicted at once: the node lifecycle controller's taint
 * evicts them only after that long.
 */
import type { AdmissionAttributes, AdmissionPlugin } from './admission.js';
import { asRecord } from './pod-containers.js';

/** The default toleration period, in seconds (upstream's --default-*-toleration-seconds). */
export const DEFAULT_TOLERATION_SECONDS = 300;

interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

/** DefaultTolerationSeconds is upstream's DefaultTolerationSeconds plugin. */
export class DefaultTolerationSeconds implements AdmissionPlugin {
  readonly name = 'DefaultTolerationSeconds';
  readonly #notReadySeconds: number;
  readonly #unreachableSeconds: number;

  constructor(config: { notReadySeconds?: number; unreachableSeconds?: number } = {}) {
    this.#notReadySeconds = config.notReadySeconds ?? DEFAULT_TOLERATION_SECONDS;
    this.#unreachableSeconds = config.unreachableSeconds ?? DEFAULT_TOLERATION_SECONDS;
  }

  handles(a: AdmissionAttributes): boolean {
    return a.operation === 'CREATE' && a.group === '' && a.resource === 'pods' && a.subresource === '';
  }

  admit(a: AdmissionAttributes): void {
    const pod = a.object;
    if (!pod) return;
    const spec = asRecord(pod['spec']);
    const tolerations = (Array.isArray(spec['tolerations']) ? spec['tolerations'] : []) as Toleration[];
    // A toleration of the key with NoExecute (or any effect), or of every key, already says what the pod wants.
    const covers = (key: string): boolean =>
      tolerations.some((t) => (t.key === key || (t.key === undefined && t.operator === 'Exists')) && (t.effect === undefined || t.effect === '' || t.effect === 'NoExecute'));
    const added: Toleration[] = [];
    if (!covers('node.kubernetes.io/not-ready')) added.push({ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: this.#notReadySeconds });
    if (!covers('node.kubernetes.io/unreachable')) added.push({ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: this.#unreachableSeconds });
    if (added.length === 0) return;
    spec['tolerations'] = [...tolerations, ...added];
    pod['spec'] = spec;
  }
}
