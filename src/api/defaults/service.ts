/**
 * Service defaulting, as upstream's SetDefaults_Service. Cluster IP allocation is not defaulting: the store
 * allocates `clusterIP`/`clusterIPs`, so an absent clusterIP stays absent here.
 */
import { child, isObject, objects, setDefault, setDefaultString, str, type JsonObject } from '../validation/unstructured.js';

/** DEFAULT_CLIENT_IP_SERVICE_AFFINITY_SECONDS is the ClientIP affinity timeout (3 hours). */
export const DEFAULT_CLIENT_IP_SERVICE_AFFINITY_SECONDS = 10800;

/** defaultService fills type, sessionAffinity, port protocol/targetPort and traffic policies. */
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
  // ipFamilyPolicy and ipFamilies are not defaulted here: they depend on the cluster's service ranges and, on
  // update, on the stored Service, so ServiceAllocation fills them in (upstream's initIPFamilyFields).
  if (!isObject(svc['status'])) svc['status'] = { loadBalancer: {} };
}
