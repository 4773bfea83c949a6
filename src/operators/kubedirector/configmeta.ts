/**
 * configmeta: the JSON document KubeDirector gives every member at /etc/guestconfig/configmeta.json, describing the
 * cluster (name, namespace, app), its roles with their members (hostnames, FQDNs through the headless Service,
 * node ids) and the app's services per role with their endpoints. The layout follows upstream's top-level keys
 * (`version`, `cluster`, `nodegroups`, `services`); the per-member `node` section upstream adds is left out because
 * one ConfigMap serves every member — a member finds itself by its hostname. Pure.
 */
import type { AppView, ClusterView } from '../../api/kubedirector/kubedirector-types.js';
import { membersOf } from '../../api/kubedirector/kubedirector-types.js';
import { clusterServiceName, memberPodName, statefulSetName } from './names.js';

/** CONFIGMETA_VERSION is the layout's version number (upstream's configmeta version 8). */
export const CONFIGMETA_VERSION = 8;

/** buildConfigMeta builds the configmeta of a cluster. */
export function buildConfigMeta(cluster: ClusterView, app: AppView, clusterDomain = 'cluster.local'): Record<string, unknown> {
  const roles: Record<string, unknown> = {};
  const services: Record<string, Record<string, unknown>> = {};
  let nodeId = 1;
  for (const role of cluster.roles) {
    const appRole = app.roles.find((r) => r.id === role.id);
    const sts = statefulSetName(cluster.name, cluster.uid, role.id);
    const hostnames: string[] = [];
    const fqdns: string[] = [];
    const nodeIds: string[] = [];
    for (let ordinal = 0; ordinal < membersOf(role, appRole); ordinal++) {
      const pod = memberPodName(sts, ordinal);
      hostnames.push(pod);
      fqdns.push(`${pod}.${clusterServiceName(cluster.name)}.${cluster.namespace}.svc.${clusterDomain}`);
      nodeIds.push(String(nodeId++));
    }
    const roleServices: Record<string, unknown> = {};
    for (const id of appRole?.serviceIds ?? []) {
      const svc = app.services.find((s) => s.id === id);
      if (!svc) continue;
      const endpoints = svc.port === undefined ? [] : fqdns.map((f) => `${svc.urlScheme ? `${svc.urlScheme}://` : ''}${f}:${svc.port}`);
      roleServices[id] = { name: svc.name, endpoints, fqdns, ...(svc.port !== undefined ? { port: svc.port } : {}) };
      (services[id] ??= {})[role.id] = roleServices[id];
    }
    roles[role.id] = { hostnames, fqdns, node_ids: nodeIds, services: roleServices, statefulset: sts, flavor: role.resources };
  }
  return {
    version: CONFIGMETA_VERSION,
    cluster: { name: cluster.name, namespace: cluster.namespace, id: cluster.uid, app: app.name, distro_id: app.distroId, app_version: app.version },
    nodegroups: { '1': { distro_id: app.distroId, catalog_service_id: app.name, config_metadata: app.configMeta, roles } },
    services,
  };
}
