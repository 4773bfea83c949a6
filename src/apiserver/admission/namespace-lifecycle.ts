/**
 * NamespaceLifecycle: nothing is created in a namespace that does not exist or is being terminated, and the
 * system namespaces (default, kube-system, kube-public, kube-node-lease) cannot be deleted.
 */
import { notFound } from '../../api/meta/status-error.js';
import type { AdmissionAttributes, AdmissionPlugin } from './admission.js';
import { admissionForbidden } from './admission-forbidden.js';
import type { ObjectReader } from './object-reader.js';
import { asRecord } from './pod-containers.js';

/** The namespaces that always exist. */
export const IMMORTAL_NAMESPACES: ReadonlySet<string> = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

/** NamespaceLifecycle is upstream's NamespaceLifecycle plugin. */
export class NamespaceLifecycle implements AdmissionPlugin {
  readonly name = 'NamespaceLifecycle';
  readonly #reader: ObjectReader;

  constructor(reader: ObjectReader) {
    this.#reader = reader;
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'CREATE' || a.namespace === '' || (a.group === '' && a.resource === 'namespaces')) return;
    const ns = await this.#reader.get('', 'namespaces', '', a.namespace);
    if (!ns) throw notFound({ group: '', resource: 'namespaces' }, a.namespace);
    if (ns.metadata?.deletionTimestamp || asRecord(ns['status'])['phase'] === 'Terminating') {
      throw admissionForbidden(a, `unable to create new content in namespace ${a.namespace} because it is being terminated`);
    }
  }

  validate(a: AdmissionAttributes): void {
    // Deletes only reach the validating phase (see admission.ts).
    if (a.operation === 'DELETE' && a.group === '' && a.resource === 'namespaces' && IMMORTAL_NAMESPACES.has(a.name)) {
      throw admissionForbidden(a, 'this namespace may not be deleted');
    }
  }
}
