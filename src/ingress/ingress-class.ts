/**
 * Which Ingresses the built-in controller handles. An Ingress is ours when its `spec.ingressClassName` (or the
 * deprecated `kubernetes.io/ingress.class` annotation) names an IngressClass whose `spec.controller` is
 * `tkube.io/ingress`, or when it names no class and one of our IngressClasses carries the
 * `ingressclass.kubernetes.io/is-default-class: "true"` annotation (upstream's rule for class-less Ingresses).
 */
import type { KubeObject } from '../api/meta/types.js';
import { obj, str } from '../api/validation/unstructured.js';

/** INGRESS_CONTROLLER_NAME is the `spec.controller` value of IngressClasses served by tkube. */
export const INGRESS_CONTROLLER_NAME = 'tkube.io/ingress';
/** DEFAULT_INGRESS_CLASS is the IngressClass ensured at boot. */
export const DEFAULT_INGRESS_CLASS = 'tkube';
/** IS_DEFAULT_CLASS_ANNOTATION marks the cluster's default IngressClass (upstream's name). */
export const IS_DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
/** LEGACY_CLASS_ANNOTATION is the class annotation used before `spec.ingressClassName` existed. */
export const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

/** defaultIngressClass is the object ensured at boot. */
export function defaultIngressClass(): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: DEFAULT_INGRESS_CLASS, annotations: { [IS_DEFAULT_CLASS_ANNOTATION]: 'true' } },
    spec: { controller: INGRESS_CONTROLLER_NAME },
  };
}

/** ClassSelector answers "is this Ingress ours?" from the current IngressClasses. */
export class ClassSelector {
  readonly #ours = new Set<string>();
  readonly #defaultIsOurs: boolean;

  constructor(classes: readonly KubeObject[]) {
    let defaults = 0;
    let ourDefault = false;
    for (const c of classes) {
      const name = c.metadata?.name ?? '';
      const mine = str(obj(c['spec'])['controller']) === INGRESS_CONTROLLER_NAME;
      if (mine) this.#ours.add(name);
      if (c.metadata?.annotations?.[IS_DEFAULT_CLASS_ANNOTATION] === 'true') {
        defaults++;
        if (mine) ourDefault = true;
      }
    }
    // Upstream's admission refuses to pick a default among several; we still serve class-less Ingresses when one
    // of the defaults is ours, so that a second default added by another controller does not cut traffic off.
    this.#defaultIsOurs = ourDefault && defaults > 0;
  }

  /** handles tells whether `ingress` belongs to this controller. */
  handles(ingress: KubeObject): boolean {
    const className = str(obj(ingress['spec'])['ingressClassName']) ?? ingress.metadata?.annotations?.[LEGACY_CLASS_ANNOTATION];
    if (className === undefined || className === '') return this.#defaultIsOurs;
    return this.#ours.has(className);
  }
}
