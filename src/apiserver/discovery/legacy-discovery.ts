/**
 * Legacy (unaggregated) discovery documents: `/api` (APIVersions), `/apis` (APIGroupList) and `/api/v1`,
 * `/apis/<group>/<version>` (APIResourceList). Field names and shapes are upstream's meta/v1 types; clients such as
 * `kubectl auth can-i` and older client libraries read them.
 */
import { groupVersionOf } from '../../api/scheme.js';
import type { ResourceInfo } from '../../api/scheme.js';
import type { ResourceGroup, ResourceGroupVersion } from './resource-groups.js';
import { storageVersionHash } from './storage-version-hash.js';

/** ServerAddressByClientCIDR tells clients in a network which address reaches the server. */
export interface ServerAddressByClientCIDR {
  readonly clientCIDR: string;
  readonly serverAddress: string;
}

/** APIVersions is the `/api` document: the versions of the core group. */
export interface APIVersions {
  readonly kind: 'APIVersions';
  readonly versions: readonly string[];
  readonly serverAddressByClientCIDRs: readonly ServerAddressByClientCIDR[];
}

/** GroupVersionForDiscovery names one version of a group. */
export interface GroupVersionForDiscovery {
  readonly groupVersion: string;
  readonly version: string;
}

/** APIGroup is one entry of APIGroupList. */
export interface APIGroup {
  readonly name: string;
  readonly versions: readonly GroupVersionForDiscovery[];
  readonly preferredVersion: GroupVersionForDiscovery;
}

/** APIGroupList is the `/apis` document: every named group (never the core group). */
export interface APIGroupList {
  readonly kind: 'APIGroupList';
  readonly apiVersion: 'v1';
  readonly groups: readonly APIGroup[];
}

/** APIResource is one resource or subresource (`deployments/scale`) of an APIResourceList. */
export interface APIResource {
  readonly name: string;
  /** Empty for subresources, as upstream publishes them. */
  readonly singularName: string;
  readonly namespaced: boolean;
  /** Set only when the (sub)resource's kind lives in another group/version than the list. */
  readonly group?: string;
  readonly version?: string;
  readonly kind: string;
  readonly verbs: readonly string[];
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  readonly storageVersionHash?: string;
}

/** APIResourceList is the `/api/v1` or `/apis/<group>/<version>` document. */
export interface APIResourceList {
  readonly kind: 'APIResourceList';
  readonly apiVersion: 'v1';
  readonly groupVersion: string;
  readonly resources: readonly APIResource[];
}

/** StorageVersionResolver gives the version a group stores its objects at (its preferred version). */
export type StorageVersionResolver = (group: string) => string | undefined;

/** buildAPIVersions builds the `/api` document from the core group (undefined when it serves nothing). */
export function buildAPIVersions(core: ResourceGroup | undefined, addresses: readonly ServerAddressByClientCIDR[]): APIVersions {
  return {
    kind: 'APIVersions',
    versions: core === undefined ? [] : core.versions.map((v) => v.version),
    serverAddressByClientCIDRs: addresses,
  };
}

function groupVersionForDiscovery(group: string, version: string): GroupVersionForDiscovery {
  return { groupVersion: groupVersionOf(group, version), version };
}

/** buildAPIGroupList builds the `/apis` document; the core group, if passed, is skipped. */
export function buildAPIGroupList(groups: readonly ResourceGroup[]): APIGroupList {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groups
      .filter((g) => g.name !== '')
      .map((g) => ({
        name: g.name,
        versions: g.versions.map((v) => groupVersionForDiscovery(g.name, v.version)),
        preferredVersion: groupVersionForDiscovery(g.name, g.preferredVersion),
      })),
  };
}

function resourceEntry(info: ResourceInfo, storageVersionOf: StorageVersionResolver): APIResource {
  const storageGroup = info.storageGroup ?? info.group;
  const storageVersion = storageVersionOf(storageGroup) ?? info.version;
  return {
    name: info.resource,
    singularName: info.singular,
    namespaced: info.namespaced,
    kind: info.kind,
    verbs: info.verbs,
    ...(info.shortNames !== undefined && info.shortNames.length > 0 ? { shortNames: info.shortNames } : {}),
    ...(info.categories !== undefined && info.categories.length > 0 ? { categories: info.categories } : {}),
    storageVersionHash: storageVersionHash(storageGroup, storageVersion, info.kind),
  };
}

/** buildAPIResourceList builds the resource list of one group/version, subresources right after their parent. */
export function buildAPIResourceList(
  group: string,
  gv: ResourceGroupVersion,
  storageVersionOf: StorageVersionResolver,
): APIResourceList {
  const resources: APIResource[] = [];
  for (const info of gv.resources) {
    resources.push(resourceEntry(info, storageVersionOf));
    const subresources = [...(info.subresources ?? [])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const sub of subresources) {
      const other = sub.kind !== undefined && (sub.kind.group !== group || sub.kind.version !== gv.version);
      resources.push({
        name: `${info.resource}/${sub.name}`,
        singularName: '',
        namespaced: info.namespaced,
        ...(other && sub.kind !== undefined ? { group: sub.kind.group, version: sub.kind.version } : {}),
        kind: sub.kind?.kind ?? info.kind,
        verbs: sub.verbs,
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersionOf(group, gv.version), resources };
}
