/**
 * Service, Endpoints and EndpointSlice strategies. Cluster IP and node port allocation belong to the store;
 * on update, values the client omitted (clusterIP, clusterIPs, ipFamilies, nodePorts, healthCheckNodePort) are
 * carried over from the stored service, as upstream's service REST does, so that `kubectl replace` of a
 * manifest without them is not a change.
 */
import type { KubeObject } from '../../../api/meta/types.js';
import { defaultEndpointSlice, defaultEndpoints } from '../../../api/defaults/core.js';
import { defaultService } from '../../../api/defaults/service.js';
import { child, num, obj, objects, str, strings } from '../../../api/validation/unstructured.js';
import { validateEndpointSlice, validateEndpointSliceUpdate } from '../../../api/validation/validate-networking.js';
import { validateEndpoints, validateService, validateServiceUpdate } from '../../../api/validation/validate-service.js';
import { nameIsDNS1035Label } from '../../../api/validation/names.js';
import { endpointSliceTable, endpointsTable } from '../../printers/networking.js';
import { serviceTable } from '../../printers/services.js';
import type { ResourceStrategy } from '../strategy.js';
import { newResourceStrategy } from './resource-strategy.js';

/** patchAllocatedValues copies allocated values the new service omits from the old one. */
export function patchAllocatedValues(svc: KubeObject, old: KubeObject): void {
  const spec = child(svc, 'spec');
  const oldSpec = obj(old['spec']);
  if (spec['type'] === 'ExternalName' || oldSpec['type'] === 'ExternalName') return;
  if (!str(spec['clusterIP']) && str(oldSpec['clusterIP'])) {
    spec['clusterIP'] = oldSpec['clusterIP'];
    if (strings(spec['clusterIPs']).length === 0 && oldSpec['clusterIPs'] !== undefined) spec['clusterIPs'] = structuredClone(oldSpec['clusterIPs']);
    if (oldSpec['ipFamilies'] !== undefined) spec['ipFamilies'] = structuredClone(oldSpec['ipFamilies']);
  }
  const type = spec['type'];
  if (type === 'NodePort' || type === 'LoadBalancer') {
    const oldPorts = objects(oldSpec['ports']);
    for (const p of objects(spec['ports'])) {
      if (num(p['nodePort'])) continue;
      const match = oldPorts.find((o) => o['port'] === p['port'] && o['protocol'] === p['protocol']) ?? oldPorts.find((o) => str(o['name']) && o['name'] === p['name']);
      const np = match ? num(match['nodePort']) : undefined;
      if (np) p['nodePort'] = np;
    }
    if (type === 'LoadBalancer' && !num(spec['healthCheckNodePort']) && num(oldSpec['healthCheckNodePort']) && spec['externalTrafficPolicy'] === 'Local') {
      spec['healthCheckNodePort'] = oldSpec['healthCheckNodePort'];
    }
  }
}

const NODE_PORT_TYPES = new Set(['NodePort', 'LoadBalancer']);

/**
 * dropTypeDependentFields clears what a type change leaves behind unchanged from the stored service (node ports
 * when leaving NodePort/LoadBalancer, cluster IPs and families when becoming ExternalName), as upstream does, so
 * that `kubectl apply` of a new type is not rejected for fields the client never touched.
 */
export function dropTypeDependentFields(svc: KubeObject, old: KubeObject): void {
  const spec = child(svc, 'spec');
  const oldSpec = obj(old['spec']);
  const type = str(spec['type']) ?? 'ClusterIP';
  const oldType = str(oldSpec['type']) ?? 'ClusterIP';
  // A Service that stops needing a health check port (type or traffic policy changed) loses the one the client
  // carried over unchanged, as upstream does; a different value stays for validation to judge.
  const needsHealthCheck = (t: string, s: Record<string, unknown>): boolean => t === 'LoadBalancer' && s['externalTrafficPolicy'] === 'Local';
  if (needsHealthCheck(oldType, oldSpec) && !needsHealthCheck(type, spec) && spec['healthCheckNodePort'] === oldSpec['healthCheckNodePort']) delete spec['healthCheckNodePort'];
  if (type === oldType) return;
  if (!NODE_PORT_TYPES.has(type) && NODE_PORT_TYPES.has(oldType)) {
    const oldPorts = objects(oldSpec['ports']);
    for (const p of objects(spec['ports'])) {
      const np = num(p['nodePort']);
      if (np !== undefined && oldPorts.some((o) => o['nodePort'] === np)) delete p['nodePort'];
    }
    if (spec['healthCheckNodePort'] === oldSpec['healthCheckNodePort']) delete spec['healthCheckNodePort'];
    if (spec['externalTrafficPolicy'] === oldSpec['externalTrafficPolicy']) delete spec['externalTrafficPolicy'];
  }
  if (type === 'ExternalName') {
    if (spec['clusterIP'] === oldSpec['clusterIP']) delete spec['clusterIP'];
    if (JSON.stringify(spec['clusterIPs']) === JSON.stringify(oldSpec['clusterIPs'])) delete spec['clusterIPs'];
    for (const k of ['ipFamilies', 'ipFamilyPolicy', 'internalTrafficPolicy']) if (JSON.stringify(spec[k]) === JSON.stringify(oldSpec[k])) delete spec[k];
  }
  if (type !== 'LoadBalancer' && oldType === 'LoadBalancer' && spec['allocateLoadBalancerNodePorts'] === oldSpec['allocateLoadBalancerNodePorts']) {
    delete spec['allocateLoadBalancerNodePorts'];
  }
  if (type !== 'LoadBalancer' && oldType === 'LoadBalancer' && spec['loadBalancerClass'] === oldSpec['loadBalancerClass']) delete spec['loadBalancerClass'];
}

/**
 * normalizeClusterIPs keeps clusterIP and clusterIPs[0] in step as upstream does: a lone clusterIP seeds
 * clusterIPs, and on update a changed clusterIP with untouched clusterIPs replaces clusterIPs[0] (so the
 * immutability error names the value the client asked for).
 */
export function normalizeClusterIPs(svc: KubeObject, old: KubeObject | undefined): void {
  const spec = child(svc, 'spec');
  const ip = str(spec['clusterIP']) ?? '';
  const ips = strings(spec['clusterIPs']);
  if (!ip) return;
  if (ips.length === 0) {
    spec['clusterIPs'] = [ip];
    return;
  }
  if (!old) return;
  const oldSpec = obj(old['spec']);
  if (ip !== oldSpec['clusterIP'] && JSON.stringify(ips) === JSON.stringify(strings(oldSpec['clusterIPs']))) spec['clusterIPs'] = [ip, ...ips.slice(1)];
}

/** serviceStrategy is the core/v1 services policy. */
export const serviceStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: true,
  name: nameIsDNS1035Label,
  statusSubresource: true,
  initialStatus: () => ({ loadBalancer: {} }),
  defaults: defaultService,
  prepareForCreate: (svc) => normalizeClusterIPs(svc, undefined),
  prepareForUpdate(svc, old, ctx) {
    if (ctx.subresource !== '') return;
    dropTypeDependentFields(svc, old);
    patchAllocatedValues(svc, old);
    normalizeClusterIPs(svc, old);
  },
  validate: validateService,
  validateUpdate: validateServiceUpdate,
  table: serviceTable,
  tracksGeneration: false,
});

/** endpointsStrategy is the core/v1 endpoints policy. */
export const endpointsStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: true,
  defaults: defaultEndpoints,
  validate: validateEndpoints,
  table: endpointsTable,
  tracksGeneration: false,
});

/** endpointSliceStrategy is the discovery.k8s.io/v1 endpointslices policy. */
export const endpointSliceStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: true,
  defaults: defaultEndpointSlice,
  validate: validateEndpointSlice,
  validateUpdate: validateEndpointSliceUpdate,
  table: endpointSliceTable,
  tracksGeneration: false,
});
