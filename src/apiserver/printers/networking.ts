/**
 * Tables of the networking kinds: Endpoints, EndpointSlice, Ingress, IngressClass, NetworkPolicy. Lists of
 * addresses show at most three entries then ` + N more...`, as upstream does.
 */
import { formatLabelSelectorObject } from '../../api/meta/labels.js';
import { isIPv6 } from '../../api/validation/names.js';
import { num, obj, objects, str, strings } from '../../api/validation/unstructured.js';
import { translateTimestampSince } from './age.js';
import { AGE_COLUMN, column, listWithMore, NAME_COLUMN, nameOf } from './columns.js';
import { loadBalancerIngress } from './services.js';
import type { TableConvertor } from './table.js';

function hostPort(ip: string, port: number): string {
  return isIPv6(ip) ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** formatEndpoints renders ENDPOINTS: `ip:port` pairs, three at most, `<none>` when empty. */
export function formatEndpoints(subsets: unknown): string {
  const subs = objects(subsets);
  if (subs.length === 0) return '<none>';
  const items: string[] = [];
  for (const ss of subs) {
    const addrs = objects(ss['addresses']).map((a) => str(a['ip']) ?? '');
    const ports = objects(ss['ports']);
    if (ports.length === 0) items.push(...addrs);
    else for (const p of ports) for (const ip of addrs) items.push(hostPort(ip, num(p['port']) ?? 0));
  }
  return listWithMore(items, 3, '<none>');
}

/** endpointsTable renders endpoints. */
export const endpointsTable: TableConvertor = {
  columns: [NAME_COLUMN, column('Endpoints', { description: 'Endpoints is the list of endpoints.' }), AGE_COLUMN],
  cells(ep, now) {
    return [nameOf(ep), formatEndpoints(ep['subsets']), translateTimestampSince(ep.metadata?.creationTimestamp, now)];
  },
};

/** endpointSliceTable renders endpointslices: ADDRESSTYPE, PORTS, ENDPOINTS. */
export const endpointSliceTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('AddressType', { description: 'addressType specifies the type of address carried by this EndpointSlice.' }),
    column('Ports', { description: 'ports specifies the list of network ports exposed by each endpoint in this slice.' }),
    column('Endpoints', { description: 'endpoints is a list of unique endpoints in this slice.' }),
    AGE_COLUMN,
  ],
  cells(es, now) {
    const ports = objects(es['ports']).map((p) => {
      const n = num(p['port']);
      if (n !== undefined) return String(n);
      return str(p['name']) || '*';
    });
    const addrs = objects(es['endpoints']).flatMap((e) => strings(e['addresses']));
    return [nameOf(es), str(es['addressType']) ?? '', listWithMore(ports, 3, '<unset>'), listWithMore(addrs, 3, '<unset>'), translateTimestampSince(es.metadata?.creationTimestamp, now)];
  },
};

/** ingressHosts renders HOSTS: up to three hosts, `*` when no rule names one. */
export function ingressHosts(rules: unknown): string {
  const rs = objects(rules);
  const hosts: string[] = [];
  let more = false;
  // Upstream stops collecting once three hosts are listed; rules without a host are skipped, not counted.
  for (const r of rs) {
    if (hosts.length === 3) more = true;
    const host = str(r['host']) ?? '';
    if (!more && host) hosts.push(host);
  }
  if (hosts.length === 0) return '*';
  return more ? `${hosts.join(',')} + ${rs.length - 3} more...` : hosts.join(',');
}

/** ingressTable renders ingresses: CLASS, HOSTS, ADDRESS, PORTS. */
export const ingressTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Class', { description: 'ingressClassName is the name of an IngressClass cluster resource.' }),
    column('Hosts', { description: 'Hosts that incoming requests are matched against before the ingress rule' }),
    column('Address', { description: 'Address is a list containing ingress points for the load-balancer' }),
    column('Ports', { description: 'Ports of TLS configurations that open' }),
    AGE_COLUMN,
  ],
  cells(ing, now) {
    const spec = obj(ing['spec']);
    return [
      nameOf(ing),
      str(spec['ingressClassName']) || '<none>',
      ingressHosts(spec['rules']),
      loadBalancerIngress(obj(ing['status'])['loadBalancer']),
      objects(spec['tls']).length > 0 ? '80, 443' : '80',
      translateTimestampSince(ing.metadata?.creationTimestamp, now),
    ];
  },
};

/** ingressClassTable renders ingressclasses: CONTROLLER, PARAMETERS (`Kind.group/name`). */
export const ingressClassTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Controller', { description: 'controller refers to the name of the controller that should handle this class.' }),
    column('Parameters', { description: 'parameters is a link to a custom resource containing additional configuration for the controller.' }),
    AGE_COLUMN,
  ],
  cells(ic, now) {
    const spec = obj(ic['spec']);
    const params = spec['parameters'];
    let parameters = '<none>';
    if (typeof params === 'object' && params !== null) {
      const p = obj(params);
      const group = str(p['apiGroup']);
      parameters = `${str(p['kind']) ?? ''}${group ? `.${group}` : ''}/${str(p['name']) ?? ''}`;
    }
    return [nameOf(ic), str(spec['controller']) ?? '', parameters, translateTimestampSince(ic.metadata?.creationTimestamp, now)];
  },
};

/** networkPolicyTable renders networkpolicies: POD-SELECTOR. */
export const networkPolicyTable: TableConvertor = {
  columns: [NAME_COLUMN, column('Pod-Selector', { description: 'podSelector selects the pods to which this NetworkPolicy object applies.' }), AGE_COLUMN],
  cells(np, now) {
    return [nameOf(np), formatLabelSelectorObject(obj(obj(np['spec'])['podSelector'])), translateTimestampSince(np.metadata?.creationTimestamp, now)];
  },
};
