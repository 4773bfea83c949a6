/**
 * Service defaulting, as upstream's SetDefaults_Service. Cluster IP allocation is not defaulting: the store
 * allocates `clusterIP`/`clusterIPs`, so an absent clusterIP stays absent here.
 */
import { child, isObject, objects, setDefault, setDefaultString, str, type JsonObject } from '../validation/unstructured.js';

/** DEFAULT_CLIENT_IP_SERVICE_AFFINITY_SECONDS is the ClientIP affinity timeout (3 hours). */
export const DEFAULT_CLIENT_IP_SERVICE_AFFINITY_SECONDS = 10800;

/** defaultService fills type, sessionAffinity, port protocol/targetPort, traffic policies and IP family policy. */
export function defaultService(svc: JsonObject): void {
  const spec = child(svc, 'spec');
  setDefaultString(spec, 'type', 'ClusterIP');
  const type = str(spec['type']);
  setDefaultString(spec, 'sessionAffinity', 'None');
  if (spec['sessionAffinity'] === 'ClientIP') {
    const cfg = child(spec, 'sessionAffinityConfig');
    const cip = child(cfg, 'clientIP');
    setDefault(cip, 'timeoutSeconds', DEFAULT_CLIENT_IP_SERVICE_AFFINITY_SECONDS);
  }
  for (const p of objects(spec['ports'])) {
    setDefaultString(p, 'protocol', 'TCP');
    const tp = p['targetPort'];
    if (tp === undefined || tp === null || tp === 0 || tp === '') p['targetPort'] = p['port'];
  }
  if (type === 'ExternalName') return;
  setDefaultString(spec, 'internalTrafficPolicy', 'Cluster');
  if (type === 'NodePort' || type === 'LoadBalancer') setDefaultString(spec, 'externalTrafficPolicy', 'Cluster');
  if (type === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true);
  // Headless services without a selector get no families from allocation, so default them as upstream does.
  setDefaultString(spec, 'ipFamilyPolicy', 'SingleStack');
  const families = spec['ipFamilies'];
  if (!Array.isArray(families) || families.length === 0) {
    const ip = str(spec['clusterIP']);
    spec['ipFamilies'] = [ip && ip.includes(':') ? 'IPv6' : 'IPv4'];
  }
  if (!isObject(svc['status'])) svc['status'] = { loadBalancer: {} };
}
