/**
 * Storage keys of API objects. The scheme (one choice, used everywhere):
 *   core group:   /registry/<resource>/<namespace>/<name>   (cluster-scoped: /registry/<resource>/<name>)
 *   other groups: /registry/<group>/<resource>/<namespace>/<name>
 * A resource served at several versions (ResourceInfo.storageGroup/storageResource) uses its storage group and
 * resource, so every version reads the same keys. Upstream drops the group for some built-in groups; we always keep
 * it, so two groups' resources of the same name never share a prefix.
 */
import type { ResourceInfo } from '../../api/scheme.js';

/** REGISTRY_ROOT is the prefix under which every API object is stored. */
export const REGISTRY_ROOT = '/registry/';

/** resourcePrefix returns the key prefix (ending in "/") of every object of a resource. */
export function resourcePrefix(info: ResourceInfo): string {
  const group = info.storageGroup ?? info.group;
  const resource = info.storageResource ?? info.resource;
  return group === '' ? `${REGISTRY_ROOT}${resource}/` : `${REGISTRY_ROOT}${group}/${resource}/`;
}

/** namespacePrefix returns the prefix of a namespace's objects, or the resource prefix when namespace is "". */
export function namespacePrefix(resourceKeyPrefix: string, namespace: string): string {
  return namespace === '' ? resourceKeyPrefix : `${resourceKeyPrefix}${namespace}/`;
}

/** objectKey returns the key of one object; cluster-scoped objects pass namespace "". */
export function objectKey(resourceKeyPrefix: string, namespace: string, name: string): string {
  return namespace === '' ? `${resourceKeyPrefix}${name}` : `${resourceKeyPrefix}${namespace}/${name}`;
}
