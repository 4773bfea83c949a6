/**
 * KubeDirector's API (bluek8s/kubedirector) as plain views: the two groups tkube serves — the seed's
 * `kubedirector.bluedata.io/v1alpha1`, whose cluster roles give `replicas`, and the current
 * `kubedirector.hpe.com/v1beta1`, whose roles give `members` — read into one shape, so admission and the operator
 * handle both the same way. Field names are upstream's (`spec.app`, `spec.roles[].id`, `cardinality`,
 * `imageRepoTag`, `config.roleServices` …). Pure functions over unstructured JSON; nothing here does I/O.
 */
import type { KubeObject } from '../meta/types.js';
import { num, obj, objects, str, strings, strMap } from '../validation/unstructured.js';

/** KUBEDIRECTOR_GROUPS are the API groups served, each with its one version. */
export const KUBEDIRECTOR_GROUPS = [
  { group: 'kubedirector.hpe.com', version: 'v1beta1' },
  { group: 'kubedirector.bluedata.io', version: 'v1alpha1' },
] as const;

/** isKubeDirectorGroup tells whether `group` is one of KubeDirector's API groups. */
export function isKubeDirectorGroup(group: string): boolean {
  return KUBEDIRECTOR_GROUPS.some((g) => g.group === group);
}

/** The plural resource names, the same in both groups. */
export const KD_APPS = 'kubedirectorapps';
export const KD_CLUSTERS = 'kubedirectorclusters';
export const KD_CONFIGS = 'kubedirectorconfigs';

/** Cardinality is a role's allowed member count: "N" (exactly N) or "N+" (at least N). */
export interface Cardinality {
  readonly min: number;
  /** Undefined: no upper bound. */
  readonly max: number | undefined;
  readonly text: string;
}

/** parseCardinality reads upstream's cardinality string; undefined when it is malformed. */
export function parseCardinality(text: string): Cardinality | undefined {
  const m = /^(\d+)(\+?)$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return { min: n, max: m[2] === '+' ? undefined : n, text };
}

/** AppService is one `spec.services[]` entry with an endpoint. */
export interface AppService {
  readonly id: string;
  readonly name: string;
  readonly port: number | undefined;
  readonly urlScheme: string | undefined;
}

/** AppRole is one `spec.roles[]` entry of a KubeDirectorApp. */
export interface AppRole {
  readonly id: string;
  readonly cardinality: Cardinality | undefined;
  readonly cardinalityText: string;
  /** The role's image, else the app's default image. */
  readonly image: string | undefined;
  readonly persistDirs: readonly string[];
  /** The ids of the services this role runs (`spec.config.roleServices`). */
  readonly serviceIds: readonly string[];
}

/** AppView is a KubeDirectorApp as the operator reads it. */
export interface AppView {
  readonly name: string;
  readonly label: string;
  readonly distroId: string;
  readonly version: string;
  readonly roles: readonly AppRole[];
  readonly services: readonly AppService[];
  /** `spec.config.selectedRoles`: the roles a cluster of this app runs (all roles when unset). */
  readonly selectedRoles: readonly string[];
  readonly configMeta: Readonly<Record<string, string>>;
}

/** appView reads a KubeDirectorApp object. */
export function appView(app: KubeObject): AppView {
  const spec = obj(app['spec']);
  const config = obj(spec['config']);
  const roleServices = objects(config['roleServices']);
  const defaultImage = str(spec['defaultImageRepoTag']);
  const defaultPersist = strings(spec['defaultPersistDirs']);
  const roles = objects(spec['roles']).map((r): AppRole => {
    const id = str(r['id']) ?? '';
    const cardinalityText = str(r['cardinality']) ?? '';
    return {
      id,
      cardinality: parseCardinality(cardinalityText),
      cardinalityText,
      image: str(r['imageRepoTag']) ?? defaultImage,
      persistDirs: r['persistDirs'] !== undefined ? strings(r['persistDirs']) : defaultPersist,
      serviceIds: roleServices.filter((rs) => rs['roleID'] === id).flatMap((rs) => strings(rs['serviceIDs'])),
    };
  });
  const services = objects(spec['services']).map((s): AppService => {
    const endpoint = obj(s['endpoint']);
    return { id: str(s['id']) ?? '', name: str(obj(s['label'])['name']) ?? str(s['id']) ?? '', port: num(endpoint['port']), urlScheme: str(endpoint['urlScheme']) };
  });
  const selected = strings(config['selectedRoles']);
  return {
    name: app.metadata?.name ?? '',
    label: str(obj(spec['label'])['name']) ?? app.metadata?.name ?? '',
    distroId: str(spec['distroID']) ?? '',
    version: str(spec['version']) ?? '',
    roles,
    services,
    selectedRoles: selected.length > 0 ? selected : roles.map((r) => r.id),
    configMeta: strMap(config['configMeta']),
  };
}

/** ClusterRole is one `spec.roles[]` entry of a KubeDirectorCluster. */
export interface ClusterRole {
  readonly id: string;
  /** `members` (v1beta1) or `replicas` (v1alpha1); undefined when the cluster leaves it to the app's minimum. */
  readonly members: number | undefined;
  /** corev1.ResourceRequirements as given. */
  readonly resources: Readonly<Record<string, unknown>>;
  readonly storage: { readonly size: string; readonly storageClassName: string | undefined } | undefined;
  readonly env: readonly Readonly<Record<string, unknown>>[];
  readonly podLabels: Readonly<Record<string, string>>;
  readonly serviceLabels: Readonly<Record<string, string>>;
}

/** ClusterView is a KubeDirectorCluster as the operator reads it. */
export interface ClusterView {
  readonly group: string;
  readonly version: string;
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly app: string;
  /** "NodePort" (upstream's default) or "LoadBalancer" (or "ClusterIP"). */
  readonly serviceType: string;
  readonly roles: readonly ClusterRole[];
}

/** groupOf splits an apiVersion ("kubedirector.hpe.com/v1beta1") into group and version. */
export function groupOf(apiVersion: string | undefined): { group: string; version: string } {
  const [group = '', version = ''] = (apiVersion ?? '').split('/');
  return { group, version };
}

/** clusterView reads a KubeDirectorCluster of either group. */
export function clusterView(cluster: KubeObject): ClusterView {
  const spec = obj(cluster['spec']);
  const { group, version } = groupOf(cluster.apiVersion);
  const roles = objects(spec['roles']).map((r): ClusterRole => {
    // v1alpha1 said `replicas`; v1beta1 says `members`. Either is accepted in either group (manifests get mixed).
    const members = num(r['members']) ?? num(r['replicas']);
    const storage = obj(r['storage']);
    const size = str(storage['size']);
    return {
      id: str(r['id']) ?? '',
      members,
      resources: obj(r['resources']),
      storage: size ? { size, storageClassName: str(storage['storageClassName']) } : undefined,
      env: objects(r['env']),
      podLabels: strMap(r['podLabels']),
      serviceLabels: strMap(r['serviceLabels']),
    };
  });
  return {
    group,
    version,
    name: cluster.metadata?.name ?? '',
    namespace: cluster.metadata?.namespace ?? '',
    uid: cluster.metadata?.uid ?? '',
    app: str(spec['app']) ?? '',
    serviceType: str(spec['serviceType']) ?? 'NodePort',
    roles,
  };
}

/** membersOf is a role's member count: as asked, else the app role's minimum cardinality. */
export function membersOf(role: ClusterRole, appRole: AppRole | undefined): number {
  return role.members ?? appRole?.cardinality?.min ?? 0;
}
