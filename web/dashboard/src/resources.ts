/**
 * The kinds of object the dashboard has a page for (shown as YAML and editable there), with the collection each is
 * watched from. An object's own URL is its collection's group/version path plus namespace and name, the layout every
 * Kubernetes API server uses.
 */
import type { KubeObject } from './api.js';
import { HPA_PATH, WORKLOAD_KINDS } from './history.js';
import { keyOf } from './informer.js';

/** Resource: a kind and the all-namespaces collection URL the dashboard's informer for it watches. */
export interface Resource {
  readonly kind: string;
  readonly path: string;
}

export const POD_RESOURCE: Resource = { kind: 'Pod', path: '/api/v1/pods' };

export const RESOURCES: readonly Resource[] = [
  POD_RESOURCE,
  ...WORKLOAD_KINDS,
  { kind: 'Service', path: '/api/v1/services' },
  { kind: 'HorizontalPodAutoscaler', path: HPA_PATH },
];

export function resourceOf(kind: string): Resource | undefined {
  return RESOURCES.find((r) => r.kind === kind);
}

/**
 * objectPath is the URL of one namespaced object of a resource: `/apis/apps/v1/deployments` with default/web gives
 * `/apis/apps/v1/namespaces/default/deployments/web`.
 */
export function objectPath(r: Resource, namespace: string, name: string): string {
  const cut = r.path.lastIndexOf('/');
  return `${r.path.slice(0, cut)}/namespaces/${encodeURIComponent(namespace)}/${r.path.slice(cut + 1)}/${encodeURIComponent(name)}`;
}

/** objectHref is the dashboard route of an object's page (`#/object/Deployment/default/web`). */
export function objectHref(kind: string, o: KubeObject): string {
  return kind === 'Pod' ? `#/pod/${keyOf(o)}` : `#/object/${kind}/${keyOf(o)}`;
}
