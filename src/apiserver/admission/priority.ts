/**
 * Priority: a new pod's `priorityClassName` becomes `spec.priority` (and `preemptionPolicy`) from its
 * PriorityClass; a pod naming none gets the globalDefault class's value, or 0. Only one PriorityClass may be the
 * global default. The two system classes always resolve; the control plane also stores them at start.
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { AdmissionAttributes, AdmissionPlugin } from './admission.js';
import { admissionForbidden } from './admission-forbidden.js';
import type { ObjectReader } from './object-reader.js';
import { asRecord } from './pod-containers.js';

/** The PriorityClasses every cluster has, as upstream creates them at start. */
export const SYSTEM_PRIORITY_CLASSES: readonly KubeObject[] = [
  {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: 'system-node-critical' },
    value: 2000001000,
    description: 'For pods the node itself depends on; never preempted to make room for others.',
    preemptionPolicy: 'PreemptLowerPriority',
  },
  {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: 'system-cluster-critical' },
    value: 2000000000,
    description: 'For pods the cluster depends on; they may move to another node when needed.',
    preemptionPolicy: 'PreemptLowerPriority',
  },
];

const DEFAULT_PREEMPTION = 'PreemptLowerPriority';

/** Priority is upstream's Priority plugin. */
export class Priority implements AdmissionPlugin {
  readonly name = 'Priority';
  readonly #reader: ObjectReader;

  constructor(reader: ObjectReader) {
    this.#reader = reader;
  }

  handles(a: AdmissionAttributes): boolean {
    if (a.subresource !== '') return false;
    if (a.group === '' && a.resource === 'pods') return a.operation === 'CREATE';
    return a.group === 'scheduling.k8s.io' && a.resource === 'priorityclasses' && (a.operation === 'CREATE' || a.operation === 'UPDATE');
  }

  async #classNamed(name: string): Promise<KubeObject | undefined> {
    return (await this.#reader.get('scheduling.k8s.io', 'priorityclasses', '', name)) ?? SYSTEM_PRIORITY_CLASSES.find((c) => c.metadata?.name === name);
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    const pod = a.object;
    if (!pod || a.resource !== 'pods') return;
    const spec = asRecord(pod['spec']);
    pod['spec'] = spec;
    const className = typeof spec['priorityClassName'] === 'string' ? spec['priorityClassName'] : '';
    let value = 0;
    let preemption = DEFAULT_PREEMPTION;
    if (className === '') {
      const defaults = (await this.#reader.list('scheduling.k8s.io', 'priorityclasses', '')).filter((c) => c['globalDefault'] === true);
      // With several defaults (a race between creates) the lowest value wins, as upstream.
      const chosen = defaults.sort((x, y) => Number(x['value'] ?? 0) - Number(y['value'] ?? 0))[0];
      if (chosen) {
        value = Number(chosen['value'] ?? 0);
        preemption = typeof chosen['preemptionPolicy'] === 'string' ? chosen['preemptionPolicy'] : DEFAULT_PREEMPTION;
        spec['priorityClassName'] = chosen.metadata?.name;
      }
    } else {
      const found = await this.#classNamed(className);
      if (!found) throw admissionForbidden(a, `no PriorityClass with name ${className} was found`);
      value = Number(found['value'] ?? 0);
      preemption = typeof found['preemptionPolicy'] === 'string' ? found['preemptionPolicy'] : DEFAULT_PREEMPTION;
    }
    if (typeof spec['priority'] === 'number' && spec['priority'] !== value) {
      throw admissionForbidden(
        a,
        `the integer value of priority (${spec['priority']}) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`,
      );
    }
    if (typeof spec['preemptionPolicy'] === 'string' && spec['preemptionPolicy'] !== preemption) {
      throw admissionForbidden(
        a,
        `the string value of PreemptionPolicy (${spec['preemptionPolicy']}) must not be provided in pod spec; priority admission controller computed ${preemption} from the given PriorityClass name`,
      );
    }
    spec['priority'] = value;
    spec['preemptionPolicy'] = preemption;
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    const pc = a.object;
    if (!pc || a.resource !== 'priorityclasses' || pc['globalDefault'] !== true) return;
    const others = (await this.#reader.list('scheduling.k8s.io', 'priorityclasses', '')).filter(
      (c) => c['globalDefault'] === true && c.metadata?.name !== pc.metadata?.name,
    );
    const other = others[0];
    if (other) throw admissionForbidden(a, `PriorityClass ${other.metadata?.name ?? ''} is already marked as default. Only one default can exist`);
  }
}
