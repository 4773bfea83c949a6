/**
 * DefaultStorageClass: a new PersistentVolumeClaim that names no storage class gets the cluster's default one
 * (annotation `storageclass.kubernetes.io/is-default-class: "true"`; with several defaults the newest wins, as
 * upstream since 1.28). An explicit "" means "no class" and is kept.
 */
import type { AdmissionAttributes, AdmissionPlugin } from './admission.js';
import type { ObjectReader } from './object-reader.js';
import { asRecord } from './pod-containers.js';

/** The annotation marking the default StorageClass (and its beta spelling). */
export const DEFAULT_CLASS_ANNOTATIONS = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'];

/** DefaultStorageClass is upstream's DefaultStorageClass plugin. */
export class DefaultStorageClass implements AdmissionPlugin {
  readonly name = 'DefaultStorageClass';
  readonly #reader: ObjectReader;

  constructor(reader: ObjectReader) {
    this.#reader = reader;
  }

  handles(a: AdmissionAttributes): boolean {
    return a.operation === 'CREATE' && a.group === '' && a.resource === 'persistentvolumeclaims' && a.subresource === '';
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    const pvc = a.object;
    if (!pvc) return;
    const spec = asRecord(pvc['spec']);
    if (spec['storageClassName'] !== undefined && spec['storageClassName'] !== null) return;
    if (pvc.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] !== undefined) return;
    const defaults = (await this.#reader.list('storage.k8s.io', 'storageclasses', '')).filter((sc) =>
      DEFAULT_CLASS_ANNOTATIONS.some((k) => sc.metadata?.annotations?.[k] === 'true'),
    );
    if (defaults.length === 0) return;
    const newest = [...defaults].sort((x, y) => {
      const byTime = (y.metadata?.creationTimestamp ?? '').localeCompare(x.metadata?.creationTimestamp ?? '');
      return byTime !== 0 ? byTime : (x.metadata?.name ?? '').localeCompare(y.metadata?.name ?? '');
    })[0];
    spec['storageClassName'] = newest?.metadata?.name;
    pvc['spec'] = spec;
  }
}
