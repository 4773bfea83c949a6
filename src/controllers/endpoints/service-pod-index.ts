/**
 * Which Services select a pod: both endpoint controllers enqueue these Services when a pod changes (its labels,
 * readiness, IP or deletion), for the pod's old labels and its new ones.
 */
import { selectorFromSet } from '../../api/meta/labels.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { SharedInformer } from '../../client/informer/shared-informer.js';
import { metaNamespaceKey, NAMESPACE_INDEX } from '../../client/informer/store.js';
import type { ServiceShape } from './service-endpoints.js';

/** selects tells whether a Service with a selector selects labels (a Service without one selects nothing here). */
export function selects(service: ServiceShape, labels: Readonly<Record<string, string>> | undefined): boolean {
  const sel = service.spec?.selector;
  if (!sel || Object.keys(sel).length === 0) return false;
  return selectorFromSet(sel).matches(labels ?? {});
}

/** servicesSelecting returns the keys of the Services of the pod's namespace that select any of the label sets. */
export function servicesSelecting(services: SharedInformer<ServiceShape>, pod: KubeObject, ...labelSets: (Readonly<Record<string, string>> | undefined)[]): string[] {
  const out: string[] = [];
  for (const svc of services.store.byIndex(NAMESPACE_INDEX, pod.metadata?.namespace ?? '')) {
    if (labelSets.some((l) => selects(svc, l))) out.push(metaNamespaceKey(svc));
  }
  return out;
}
