/**
 * Kind: what the SDK needs to address a type over REST — its group/version/kind and the plural resource it is
 * served as, and whether it lives in namespaces. The SDK does not guess plurals: built-in kinds are listed here,
 * custom ones come from `installCRD` (or are written by hand).
 */
import type { ResourcePath } from '../client/resource-path.js';

/** Kind names a served type. */
export interface Kind {
  /** "" for the core group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** The plural resource name, e.g. "configmaps". */
  readonly resource: string;
  readonly namespaced: boolean;
}

/** apiVersionOf is `v1` for the core group, `group/version` otherwise. */
export function apiVersionOf(kind: Kind): string {
  return kind.group === '' ? kind.version : `${kind.group}/${kind.version}`;
}

/** groupOfApiVersion is the group part of an apiVersion ("" for "v1"). */
export function groupOfApiVersion(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** pathOf addresses a kind's collection (in `namespace` when given) or one of its objects. */
export function pathOf(kind: Kind, namespace?: string, name?: string, subresource?: string): ResourcePath {
  return {
    group: kind.group,
    version: kind.version,
    resource: kind.resource,
    ...(kind.namespaced && namespace ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(subresource ? { subresource } : {}),
  };
}

function builtin(group: string, version: string, kind: string, resource: string, namespaced = true): Kind {
  return { group, version, kind, resource, namespaced };
}

/** Built-in kinds operators commonly read, own or watch. */
export const Kinds = {
  ConfigMap: builtin('', 'v1', 'ConfigMap', 'configmaps'),
  Secret: builtin('', 'v1', 'Secret', 'secrets'),
  Pod: builtin('', 'v1', 'Pod', 'pods'),
  Service: builtin('', 'v1', 'Service', 'services'),
  ServiceAccount: builtin('', 'v1', 'ServiceAccount', 'serviceaccounts'),
  PersistentVolumeClaim: builtin('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims'),
  Event: builtin('', 'v1', 'Event', 'events'),
  Namespace: builtin('', 'v1', 'Namespace', 'namespaces', false),
  Node: builtin('', 'v1', 'Node', 'nodes', false),
  Deployment: builtin('apps', 'v1', 'Deployment', 'deployments'),
  StatefulSet: builtin('apps', 'v1', 'StatefulSet', 'statefulsets'),
  DaemonSet: builtin('apps', 'v1', 'DaemonSet', 'daemonsets'),
  ReplicaSet: builtin('apps', 'v1', 'ReplicaSet', 'replicasets'),
  Job: builtin('batch', 'v1', 'Job', 'jobs'),
  CronJob: builtin('batch', 'v1', 'CronJob', 'cronjobs'),
  Ingress: builtin('networking.k8s.io', 'v1', 'Ingress', 'ingresses'),
  Role: builtin('rbac.authorization.k8s.io', 'v1', 'Role', 'roles'),
  RoleBinding: builtin('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings'),
  Lease: builtin('coordination.k8s.io', 'v1', 'Lease', 'leases'),
  CustomResourceDefinition: builtin('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false),
} as const satisfies Record<string, Kind>;

/** KindRegistry resolves an object's apiVersion and kind to its Kind (for `client.create(obj)` and friends). */
export class KindRegistry {
  readonly #byGvk = new Map<string, Kind>();

  constructor(kinds: Iterable<Kind> = Object.values(Kinds)) {
    for (const k of kinds) this.register(k);
  }

  /** register adds (or replaces) a kind. */
  register(kind: Kind): void {
    this.#byGvk.set(`${apiVersionOf(kind)}/${kind.kind}`, kind);
  }

  /** lookup finds the kind of an apiVersion + kind, or undefined when unknown. */
  lookup(apiVersion: string, kind: string): Kind | undefined {
    return this.#byGvk.get(`${apiVersion}/${kind}`);
  }
}
