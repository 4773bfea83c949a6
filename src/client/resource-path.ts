/**
 * ResourcePath names what a REST call addresses: a collection (no name), one object, or an object's subresource,
 * in a group/version, optionally inside a namespace. `resourceUrlPath` turns it into the URL path upstream uses.
 */

/** ResourcePath addresses a collection, an object or a subresource. */
export interface ResourcePath {
  /** "" (or unset) for the core group, served under /api. */
  readonly group?: string;
  readonly version: string;
  /** The plural resource name, e.g. "deployments". */
  readonly resource: string;
  /** Unset or "" for cluster-scoped resources, or to address a namespaced resource across all namespaces. */
  readonly namespace?: string;
  /** Unset to address the collection. */
  readonly name?: string;
  /** e.g. "status", "scale", "finalize"; needs `name`. */
  readonly subresource?: string;
}

function segment(value: string, what: string): string {
  if (value === '' || value === '.' || value === '..' || value.includes('/')) throw new Error(`Cannot build resource path: invalid ${what} "${value}"`);
  return encodeURIComponent(value);
}

/** resourceUrlPath builds `/api/v1/namespaces/ns/pods/name/status` style paths. */
export function resourceUrlPath(p: ResourcePath): string {
  const group = p.group ?? '';
  let out = group === '' ? `/api/${segment(p.version, 'version')}` : `/apis/${segment(group, 'group')}/${segment(p.version, 'version')}`;
  if (p.namespace) out += `/namespaces/${segment(p.namespace, 'namespace')}`;
  out += `/${segment(p.resource, 'resource')}`;
  if (p.name !== undefined && p.name !== '') out += `/${segment(p.name, 'name')}`;
  if (p.subresource) {
    if (!p.name) throw new Error(`Cannot build resource path: subresource "${p.subresource}" needs a name`);
    out += `/${segment(p.subresource, 'subresource')}`;
  }
  return out;
}
