/**
 * desiredState: what a KubeDirectorCluster is made of, computed from the cluster and its app alone (pure, so it
 * moves unchanged onto an operator SDK):
 *   - a ConfigMap `<cluster>-configmeta` with `configmeta.json` (configmeta.ts), mounted read-only into every
 *     member at /etc/guestconfig;
 *   - the cluster's headless Service `<cluster>` (the StatefulSets' governing service: stable member DNS names);
 *   - per role a StatefulSet `<cluster>-<role>-<suffix>` with `members` replicas (Parallel pod management, as
 *     upstream), the role's image (or the app's
 *     default), the cluster role's resources (requests and limits) and env, and when `storage` is asked a
 *     volumeClaimTemplate of that size (and class) mounted at the app role's persistDirs;
 *   - per member a Service `s-<pod>` of the cluster's serviceType (NodePort unless told) carrying the ports of the
 *     app services its role runs (`config.roleServices`); a role with no ported service gets none.
 * Everything carries the cluster's labels and a controller ownerReference to the cluster.
 */
import type { AppView, ClusterView } from '../../api/kubedirector/kubedirector-types.js';
import { membersOf } from '../../api/kubedirector/kubedirector-types.js';
import type { KubeObject, OwnerReference } from '../../api/meta/types.js';
import { buildConfigMeta } from './configmeta.js';
import {
  appLabel,
  clusterLabel,
  clusterServiceName,
  CONFIGMETA_DIR,
  CONFIGMETA_FILE,
  configMetaName,
  memberPodName,
  memberServiceName,
  roleLabel,
  statefulSetName,
} from './names.js';

/** DesiredState is every object one cluster should have. */
export interface DesiredState {
  readonly configMap: KubeObject;
  readonly clusterService: KubeObject;
  readonly statefulSets: readonly KubeObject[];
  readonly memberServices: readonly KubeObject[];
}

/** STORAGE_VOLUME is the volumeClaimTemplate's name when a role asks for persistent storage. */
export const STORAGE_VOLUME = 'kd-storage';

function ownerOf(cluster: ClusterView): OwnerReference {
  return { apiVersion: `${cluster.group}/${cluster.version}`, kind: 'KubeDirectorCluster', name: cluster.name, uid: cluster.uid, controller: true, blockOwnerDeletion: true };
}

function clusterLabels(cluster: ClusterView): Record<string, string> {
  return { [clusterLabel(cluster.group)]: cluster.name, [appLabel(cluster.group)]: cluster.app };
}

function meta(cluster: ClusterView, name: string, labels: Record<string, string>): KubeObject['metadata'] {
  return { name, namespace: cluster.namespace, labels, ownerReferences: [ownerOf(cluster)] };
}

/** servicePorts lists the ported app services a role runs, as Service ports named after the service ids. */
export function servicePorts(app: AppView, roleId: string): { name: string; port: number; targetPort: number; protocol: 'TCP' }[] {
  const role = app.roles.find((r) => r.id === roleId);
  const out: { name: string; port: number; targetPort: number; protocol: 'TCP' }[] = [];
  for (const id of role?.serviceIds ?? []) {
    const svc = app.services.find((s) => s.id === id);
    if (svc?.port === undefined || out.some((p) => p.port === svc.port)) continue;
    out.push({ name: svc.id.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 15), port: svc.port, targetPort: svc.port, protocol: 'TCP' });
  }
  return out;
}

/** desiredState computes the objects of `cluster` (assumed valid against `app`: admission checked it). */
export function desiredState(cluster: ClusterView, app: AppView): DesiredState {
  const base = clusterLabels(cluster);
  const configMap: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(cluster, configMetaName(cluster.name), base),
    data: { [CONFIGMETA_FILE]: `${JSON.stringify(buildConfigMeta(cluster, app), null, 2)}\n` },
  };
  const allPorts = new Map<number, { name: string; port: number; targetPort: number; protocol: 'TCP' }>();
  for (const r of cluster.roles) for (const p of servicePorts(app, r.id)) if (!allPorts.has(p.port)) allPorts.set(p.port, p);
  const clusterService: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(cluster, clusterServiceName(cluster.name), base),
    spec: {
      clusterIP: 'None',
      selector: { [clusterLabel(cluster.group)]: cluster.name },
      // Members resolve each other while still starting (configmeta names them all).
      publishNotReadyAddresses: true,
      ports: allPorts.size > 0 ? [...allPorts.values()] : [{ name: 'port-0', port: 8888, targetPort: 8888, protocol: 'TCP' }],
    },
  };
  const statefulSets: KubeObject[] = [];
  const memberServices: KubeObject[] = [];
  for (const role of cluster.roles) {
    const appRole = app.roles.find((r) => r.id === role.id);
    const members = membersOf(role, appRole);
    const sts = statefulSetName(cluster.name, cluster.uid, role.id);
    const roleLabels = { ...base, [roleLabel(cluster.group)]: role.id };
    const selector = { [clusterLabel(cluster.group)]: cluster.name, [roleLabel(cluster.group)]: role.id };
    const mounts: Record<string, unknown>[] = [{ name: 'configmeta', mountPath: CONFIGMETA_DIR, readOnly: true }];
    if (role.storage) {
      const dirs = appRole?.persistDirs.length ? appRole.persistDirs : ['/data'];
      for (const dir of dirs) mounts.push({ name: STORAGE_VOLUME, mountPath: dir, subPath: dir.replace(/^\/+/, '') });
    }
    const resources = role.resources;
    const ports = servicePorts(app, role.id);
    statefulSets.push({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta(cluster, sts, roleLabels),
      spec: {
        replicas: members,
        serviceName: clusterServiceName(cluster.name),
        // As upstream: members of a role start together; scaling still adds the next ordinals and removes the highest.
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: { ...role.podLabels, ...roleLabels } },
          spec: {
            containers: [
              {
                name: 'app',
                image: appRole?.image ?? '',
                imagePullPolicy: 'IfNotPresent',
                ...(ports.length > 0 ? { ports: ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: p.protocol })) } : {}),
                ...(Object.keys(resources).length > 0 ? { resources } : {}),
                env: [
                  { name: 'KD_CLUSTER', value: cluster.name },
                  { name: 'KD_ROLE', value: role.id },
                  { name: 'KD_APP', value: app.name },
                  ...role.env,
                ],
                volumeMounts: mounts,
              },
            ],
            volumes: [{ name: 'configmeta', configMap: { name: configMetaName(cluster.name) } }],
          },
        },
        ...(role.storage
          ? {
              volumeClaimTemplates: [
                {
                  metadata: { name: STORAGE_VOLUME, labels: selector },
                  spec: {
                    accessModes: ['ReadWriteOnce'],
                    resources: { requests: { storage: role.storage.size } },
                    ...(role.storage.storageClassName ? { storageClassName: role.storage.storageClassName } : {}),
                  },
                },
              ],
            }
          : {}),
      },
    });
    if (ports.length === 0) continue;
    for (let ordinal = 0; ordinal < members; ordinal++) {
      const pod = memberPodName(sts, ordinal);
      memberServices.push({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: meta(cluster, memberServiceName(pod), { ...role.serviceLabels, ...roleLabels }),
        spec: { type: cluster.serviceType, selector: { 'statefulset.kubernetes.io/pod-name': pod }, ports },
      });
    }
  }
  return { configMap, clusterService, statefulSets, memberServices };
}
