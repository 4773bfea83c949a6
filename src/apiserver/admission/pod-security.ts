/**
 * PodSecurity: the Pod Security Standards, selected per namespace by the labels
 * `pod-security.kubernetes.io/<mode>` (enforce, warn, audit) and `pod-security.kubernetes.io/<mode>-version`.
 * `enforce` refuses pods with upstream's message (`violates PodSecurity "restricted:latest": …`); `warn` answers
 * with Warning headers, for pods and for workloads' pod templates; `audit` annotates the request's audit event
 * (`pod-security.kubernetes.io/audit-violations`), and every checked pod's event records the enforce policy
 * (`pod-security.kubernetes.io/enforce-policy`), as upstream.
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { AdmissionAttributes, AdmissionPlugin } from './admission.js';
import { admissionForbidden } from './admission-forbidden.js';
import type { ObjectReader } from './object-reader.js';
import { asRecord, podSpecOf } from './pod-containers.js';
import { checkPod, formatViolations, type PodSecurityLevel } from './pod-security-checks.js';

/** The label prefix of the namespace policy. */
export const POD_SECURITY_LABEL_PREFIX = 'pod-security.kubernetes.io/';
const LEVELS: ReadonlySet<string> = new Set(['privileged', 'baseline', 'restricted']);

/** NamespacePolicy is one mode's level and version (e.g. restricted, latest). */
interface ModePolicy {
  readonly level: PodSecurityLevel;
  readonly version: string;
}

function modeOf(labels: Readonly<Record<string, string>>, mode: 'enforce' | 'warn' | 'audit'): ModePolicy | undefined {
  const level = labels[`${POD_SECURITY_LABEL_PREFIX}${mode}`];
  if (level === undefined) return undefined;
  // An unknown level is treated as the strictest, as upstream does, rather than silently allowing everything.
  const effective = (LEVELS.has(level) ? level : 'restricted') as PodSecurityLevel;
  return { level: effective, version: labels[`${POD_SECURITY_LABEL_PREFIX}${mode}-version`] ?? 'latest' };
}

/** PodSecurity is upstream's PodSecurity plugin (enforce, warn and audit modes). */
export class PodSecurity implements AdmissionPlugin {
  readonly name = 'PodSecurity';
  readonly #reader: ObjectReader;

  constructor(reader: ObjectReader) {
    this.#reader = reader;
  }

  handles(a: AdmissionAttributes): boolean {
    if (a.subresource !== '' || !a.object) return false;
    if (a.namespace === '' && !(a.group === '' && a.resource === 'namespaces')) return false;
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return false;
    if (a.group === '' && a.resource === 'namespaces') return true;
    return (a.group === '' && (a.resource === 'pods' || a.resource === 'replicationcontrollers')) || ['apps', 'batch'].includes(a.group);
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.group === '' && a.resource === 'namespaces') return this.#checkExistingPods(a);
    const obj = a.object as KubeObject;
    const spec = podSpecOf(a.resource, obj);
    if (!spec) return;
    if (a.operation === 'UPDATE' && a.oldObject && JSON.stringify(podSpecOf(a.resource, a.oldObject)) === JSON.stringify(spec)) return;
    const ns = await this.#reader.get('', 'namespaces', '', a.namespace);
    const labels = ns?.metadata?.labels ?? {};
    const isPod = a.group === '' && a.resource === 'pods';
    const podMeta = isPod ? asRecord(obj.metadata) : asRecord(asRecord(asRecord(obj['spec'])['template'])['metadata']);
    const enforce = modeOf(labels, 'enforce');
    if (isPod) a.addAuditAnnotation?.(`${POD_SECURITY_LABEL_PREFIX}enforce-policy`, enforce ? `${enforce.level}:${enforce.version}` : 'privileged:latest');
    if (enforce && isPod) {
      const failed = checkPod(enforce.level, podMeta, spec);
      if (failed.length > 0) throw admissionForbidden(a, `violates PodSecurity "${enforce.level}:${enforce.version}": ${formatViolations(failed)}`);
    }
    const warn = modeOf(labels, 'warn');
    if (warn) {
      const failed = checkPod(warn.level, podMeta, spec);
      if (failed.length > 0) a.warn(`would violate PodSecurity "${warn.level}:${warn.version}": ${formatViolations(failed)}`);
    }
    const audit = modeOf(labels, 'audit');
    if (audit && a.addAuditAnnotation) {
      const failed = checkPod(audit.level, podMeta, spec);
      if (failed.length > 0) a.addAuditAnnotation(`${POD_SECURITY_LABEL_PREFIX}audit-violations`, `would violate PodSecurity "${audit.level}:${audit.version}": ${formatViolations(failed)}`);
    }
  }

  /** #checkExistingPods warns, as upstream, when a namespace's new enforce level would refuse pods it already runs. */
  async #checkExistingPods(a: AdmissionAttributes): Promise<void> {
    const enforce = modeOf(a.object?.metadata?.labels ?? {}, 'enforce');
    if (!enforce || enforce.level === 'privileged' || a.operation !== 'UPDATE') return;
    const before = modeOf(a.oldObject?.metadata?.labels ?? {}, 'enforce');
    if (before && before.level === enforce.level && before.version === enforce.version) return;
    const warnings: string[] = [];
    for (const pod of await this.#reader.list('', 'pods', a.name)) {
      const failed = checkPod(enforce.level, asRecord(pod.metadata), asRecord(pod['spec']));
      if (failed.length > 0) warnings.push(`${pod.metadata?.name ?? ''}: ${failed.map((f) => f.reason).join(', ')}`);
    }
    if (warnings.length === 0) return;
    a.warn(`existing pods in namespace "${a.name}" violate the new PodSecurity enforce level "${enforce.level}:${enforce.version}"`);
    for (const w of warnings) a.warn(w);
  }
}
