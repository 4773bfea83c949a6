/**
 * Service table: NAME, TYPE, CLUSTER-IP, EXTERNAL-IP, PORT(S), AGE (+ SELECTOR with -o wide).
 * PORT(S) is `port[:nodePort]/protocol` joined by commas; EXTERNAL-IP is `<none>`, `<pending>` for a
 * LoadBalancer without ingress, or the external name.
 */
import type { KubeObject } from '../../api/meta/types.js';
import { formatLabels } from '../../api/meta/labels.js';
import { num, obj, objects, str, strMap, strings } from '../../api/validation/unstructured.js';
import { translateTimestampSince } from './age.js';
import { AGE_COLUMN, column, NAME_COLUMN, nameOf } from './columns.js';
import type { TableConvertor } from './table.js';

/** servicePorts renders PORT(S), e.g. `80:30080/TCP,443/TCP`. */
export function servicePorts(ports: unknown): string {
  return objects(ports)
    .map((p) => {
      const np = num(p['nodePort']) ?? 0;
      return `${num(p['port']) ?? 0}${np > 0 ? `:${np}` : ''}/${str(p['protocol']) ?? ''}`;
    })
    .join(',');
}

/** loadBalancerIngress renders load-balancer ingress IPs/hostnames, comma-joined. */
export function loadBalancerIngress(lbStatus: unknown): string {
  return objects(obj(lbStatus)['ingress'])
    .map((i) => str(i['ip']) || str(i['hostname']) || '')
    .filter((s) => s !== '')
    .join(',');
}

function externalIP(svc: KubeObject): string {
  const spec = obj(svc['spec']);
  const externalIPs = strings(spec['externalIPs']);
  switch (spec['type']) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerIngress(obj(svc['status'])['loadBalancer']);
      if (externalIPs.length > 0) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return str(spec['externalName']) ?? '';
    default:
      return '<unknown>';
  }
}

/** serviceTable renders services. */
export const serviceTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Type', { description: 'type determines how the Service is exposed.' }),
    column('Cluster-IP', { description: 'clusterIP is the IP address of the service and is usually assigned randomly.' }),
    column('External-IP', { description: 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.' }),
    column('Port(s)', { description: 'The list of ports that are exposed by this service.' }),
    AGE_COLUMN,
    column('Selector', { priority: 1, description: 'Route service traffic to pods with label keys and values matching this selector.' }),
  ],
  cells(svc, now) {
    const spec = obj(svc['spec']);
    const clusterIPs = strings(spec['clusterIPs']);
    const clusterIP = clusterIPs[0] ?? (str(spec['clusterIP']) || '<none>');
    return [
      nameOf(svc),
      str(spec['type']) ?? '',
      clusterIP,
      externalIP(svc),
      servicePorts(spec['ports']) || '<none>',
      translateTimestampSince(svc.metadata?.creationTimestamp, now),
      formatLabels(strMap(spec['selector'])),
    ];
  },
};
