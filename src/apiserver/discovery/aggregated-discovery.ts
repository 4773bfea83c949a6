/**
 * Aggregated discovery (apidiscovery.k8s.io/v2): every group, version and resource in one document, so a client
 * learns the whole API with two requests (`/api` and `/apis`) instead of one per group/version. kubectl 1.32 asks for
 * it first on every command; only v2 is served (v2beta1 is gone upstream).
 */
import type { GroupVersionKind } from '../../api/schema/types.js';
import type { ResourceGroup } from './resource-groups.js';

/** AGGREGATED_DISCOVERY_CONTENT_TYPE is the Content-Type of an aggregated discovery response. */
export const AGGREGATED_DISCOVERY_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** APISubresourceDiscovery describes one subresource of a resource. */
export interface APISubresourceDiscovery {
  readonly subresource: string;
  readonly responseKind: GroupVersionKind;
  readonly verbs: readonly string[];
}

/** APIResourceDiscovery describes one resource of a group/version. */
export interface APIResourceDiscovery {
  readonly resource: string;
  readonly responseKind: GroupVersionKind;
  readonly scope: 'Namespaced' | 'Cluster';
  readonly singularResource: string;
  readonly verbs: readonly string[];
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  readonly subresources?: readonly APISubresourceDiscovery[];
}

/** APIVersionDiscovery describes one version of a group. */
export interface APIVersionDiscovery {
  readonly version: string;
  readonly resources: readonly APIResourceDiscovery[];
  /** Always `Current`: built-in and custom resources are served by this process, never stale. */
  readonly freshness: 'Current' | 'Stale';
}

/** APIGroupDiscovery describes one group; the core group has no name. */
export interface APIGroupDiscovery {
  readonly metadata: { readonly name?: string };
  /** Preferred version first. */
  readonly versions: readonly APIVersionDiscovery[];
}

/** APIGroupDiscoveryList is the aggregated discovery document. */
export interface APIGroupDiscoveryList {
  readonly kind: 'APIGroupDiscoveryList';
  readonly apiVersion: 'apidiscovery.k8s.io/v2';
  readonly metadata: Record<string, never>;
  readonly items: readonly APIGroupDiscovery[];
}

/**
 * buildAggregatedDiscovery builds the document for `/api` (only the core group) or `/apis` (every other group).
 */
export function buildAggregatedDiscovery(groups: readonly ResourceGroup[], prefix: 'api' | 'apis'): APIGroupDiscoveryList {
  const items: APIGroupDiscovery[] = [];
  for (const group of groups) {
    if ((group.name === '') !== (prefix === 'api')) continue;
    items.push({
      metadata: group.name === '' ? {} : { name: group.name },
      versions: group.versions.map((gv) => ({
        version: gv.version,
        resources: gv.resources.map((info): APIResourceDiscovery => {
          const responseKind = { group: info.group, version: info.version, kind: info.kind };
          const subresources = [...(info.subresources ?? [])]
            .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
            .map((sub) => ({ subresource: sub.name, responseKind: sub.kind ?? responseKind, verbs: sub.verbs }));
          return {
            resource: info.resource,
            responseKind,
            scope: info.namespaced ? 'Namespaced' : 'Cluster',
            singularResource: info.singular,
            verbs: info.verbs,
            ...(info.shortNames !== undefined && info.shortNames.length > 0 ? { shortNames: info.shortNames } : {}),
            ...(info.categories !== undefined && info.categories.length > 0 ? { categories: info.categories } : {}),
            ...(subresources.length > 0 ? { subresources } : {}),
          };
        }),
        freshness: 'Current',
      })),
    });
  }
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
}
