/**
 * DefaultIngressClass: a new Ingress that names no class (neither `spec.ingressClassName` nor the deprecated
 * `kubernetes.io/ingress.class` annotation) gets the cluster's default IngressClass (annotation
 * `ingressclass.kubernetes.io/is-default-class: "true"`); with several defaults the newest wins, as for
 * StorageClasses. Without a default the Ingress is left class-less.
 */
import type { AdmissionAttributes, AdmissionPlugin } from './admission.js';
import type { ObjectReader } from './object-reader.js';
import { asRecord } from './pod-containers.js';

/** DEFAULT_INGRESS_CLASS_ANNOTATION marks the default IngressClass. */
export const DEFAULT_INGRESS_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';

/** DefaultIngressClass is upstream's DefaultIngressClass plugin. */
export class DefaultIngressClass implements AdmissionPlugin {
  readonly name = 'DefaultIngressClass';
  readonly #reader: ObjectReader;

  constructor(reader: ObjectReader) {
    this.#reader = reader;
  }

  handles(a: AdmissionAttributes): boolean {
    return a.operation === 'CREATE' && a.group === 'networking.k8s.io' && a.resource === 'ingresses' && a.subresource === '';
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    const ing = a.object;
    if (!ing) return;
    const spec = asRecord(ing['spec']);
    if (spec['ingressClassName'] !== undefined && spec['ingressClassName'] !== null) return;
    if (ing.metadata?.annotations?.['kubernetes.io/ingress.class'] !== undefined) return;
    const defaults = (await this.#reader.list('networking.k8s.io', 'ingressclasses', '')).filter((c) => c.metadata?.annotations?.[DEFAULT_INGRESS_CLASS_ANNOTATION] === 'true');
    const newest = [...defaults].sort((x, y) => {
      const byTime = (y.metadata?.creationTimestamp ?? '').localeCompare(x.metadata?.creationTimestamp ?? '');
      return byTime !== 0 ? byTime : (x.metadata?.name ?? '').localeCompare(y.metadata?.name ?? '');
    })[0];
    if (!newest?.metadata?.name) return;
    spec['ingressClassName'] = newest.metadata.name;
    ing['spec'] = spec;
  }
}
