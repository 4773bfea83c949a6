/**
 * Networking validation: Ingress (rules, paths, backends), IngressClass, NetworkPolicy and EndpointSlice.
 */
import type { KubeObject } from '../meta/types.js';
import { fieldErrors, type FieldError } from './field-error.js';
import { validateImmutableField } from './generic.js';
import { isDNS1123Label, isDNS1123Subdomain, isValidIP, isValidPortName, isValidPortNum } from './names.js';
import { isObject, num, obj, objects, str, strings } from './unstructured.js';
import { validateLabelSelectorObject } from './validate-workloads.js';

const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

function validateBackend(b: unknown, field: string): FieldError[] {
  const backend = obj(b);
  const svc = backend['service'];
  const res = backend['resource'];
  if (isObject(svc) && isObject(res)) return [fieldErrors.invalid(field, b, 'cannot set both resource and service backends')];
  if (isObject(res)) return str(res['kind']) && str(res['name']) ? [] : [fieldErrors.required(`${field}.resource`)];
  if (!isObject(svc)) return [fieldErrors.invalid(field, b, 'resource or service backend is required')];
  const errs: FieldError[] = [];
  const name = str(svc['name']) ?? '';
  if (!name) errs.push(fieldErrors.required(`${field}.service.name`));
  else for (const m of isDNS1123Label(name)) errs.push(fieldErrors.invalid(`${field}.service.name`, name, m));
  const port = obj(svc['port']);
  const pnum = num(port['number']);
  const pname = str(port['name']);
  if (pnum !== undefined && pname) errs.push(fieldErrors.invalid(`${field}.service.port`, port, 'cannot set both port name & port number'));
  else if (pnum !== undefined) for (const m of isValidPortNum(pnum)) errs.push(fieldErrors.invalid(`${field}.service.port.number`, pnum, m));
  else if (pname) for (const m of isValidPortName(pname)) errs.push(fieldErrors.invalid(`${field}.service.port.name`, pname, m));
  else errs.push(fieldErrors.required(`${field}.service.port`, 'port name or number is required'));
  return errs;
}

/** validateIngress checks rules, paths (pathType required, absolute paths) and backends. */
export function validateIngress(ing: KubeObject): FieldError[] {
  const spec = obj(ing['spec']);
  const errs: FieldError[] = [];
  const rules = objects(spec['rules']);
  if (!isObject(spec['defaultBackend']) && rules.length === 0) errs.push(fieldErrors.invalid('spec', spec, 'either `defaultBackend` or `rules` must be specified'));
  if (isObject(spec['defaultBackend'])) errs.push(...validateBackend(spec['defaultBackend'], 'spec.defaultBackend'));
  rules.forEach((r, i) => {
    const f = `spec.rules[${i}]`;
    const host = str(r['host']);
    if (host) {
      if (isValidIP(host).length === 0) errs.push(fieldErrors.invalid(`${f}.host`, host, 'must be a DNS name, not an IP address'));
      const bare = host.startsWith('*.') ? host.slice(2) : host;
      for (const m of isDNS1123Subdomain(bare)) errs.push(fieldErrors.invalid(`${f}.host`, host, m));
    }
    const http = r['http'];
    if (!isObject(http)) return;
    const paths = objects(http['paths']);
    if (paths.length === 0) errs.push(fieldErrors.required(`${f}.http.paths`));
    paths.forEach((p, j) => {
      const pf = `${f}.http.paths[${j}]`;
      const pt = str(p['pathType']);
      if (!pt) errs.push(fieldErrors.required(`${pf}.pathType`, 'pathType must be specified'));
      else if (!PATH_TYPES.includes(pt)) errs.push(fieldErrors.notSupported(`${pf}.pathType`, pt, PATH_TYPES));
      const path = str(p['path']) ?? '';
      if ((pt === 'Exact' || pt === 'Prefix') && !path.startsWith('/')) errs.push(fieldErrors.invalid(`${pf}.path`, path, 'must be an absolute path'));
      errs.push(...validateBackend(p['backend'], `${pf}.backend`));
    });
  });
  objects(spec['tls']).forEach((t, i) => {
    strings(t['hosts']).forEach((h, j) => {
      const bare = h.startsWith('*.') ? h.slice(2) : h;
      for (const m of isDNS1123Subdomain(bare)) errs.push(fieldErrors.invalid(`spec.tls[${i}].hosts[${j}]`, h, m));
    });
  });
  const cls = str(spec['ingressClassName']);
  if (cls) for (const m of isDNS1123Subdomain(cls)) errs.push(fieldErrors.invalid('spec.ingressClassName', cls, m));
  return errs;
}

/** validateIngressClass: controller required, at most 250 characters. */
export function validateIngressClass(ic: KubeObject): FieldError[] {
  const controller = str(obj(ic['spec'])['controller']) ?? '';
  if (!controller) return [fieldErrors.required('spec.controller')];
  if (controller.length > 250) return [fieldErrors.tooLong('spec.controller', controller, 250)];
  return [];
}

/** validateIngressClassUpdate: the controller is immutable. */
export function validateIngressClassUpdate(ic: KubeObject, old: KubeObject): FieldError[] {
  return validateImmutableField(obj(ic['spec'])['controller'], obj(old['spec'])['controller'], 'spec.controller');
}

function validatePolicyPorts(ports: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  objects(ports).forEach((p, i) => {
    const proto = str(p['protocol']);
    if (proto && !PROTOCOLS.includes(proto)) errs.push(fieldErrors.notSupported(`${field}[${i}].protocol`, proto, PROTOCOLS));
    const port = p['port'];
    if (typeof port === 'number') for (const m of isValidPortNum(port)) errs.push(fieldErrors.invalid(`${field}[${i}].port`, port, m));
    if (typeof port === 'string') for (const m of isValidPortName(port)) errs.push(fieldErrors.invalid(`${field}[${i}].port`, port, m));
    const end = num(p['endPort']);
    if (end !== undefined && (typeof port !== 'number' || end < port)) errs.push(fieldErrors.invalid(`${field}[${i}].endPort`, end, 'must be greater than or equal to `port`'));
  });
  return errs;
}

/** validateNetworkPolicy checks selectors, ports and policyTypes. */
export function validateNetworkPolicy(np: KubeObject): FieldError[] {
  const spec = obj(np['spec']);
  const errs = validateLabelSelectorObject(spec['podSelector'], 'spec.podSelector');
  for (const dir of ['ingress', 'egress']) {
    const peerKey = dir === 'ingress' ? 'from' : 'to';
    objects(spec[dir]).forEach((rule, i) => {
      errs.push(...validatePolicyPorts(rule['ports'], `spec.${dir}[${i}].ports`));
      objects(rule[peerKey]).forEach((peer, j) => {
        const f = `spec.${dir}[${i}].${peerKey}[${j}]`;
        errs.push(...validateLabelSelectorObject(peer['podSelector'], `${f}.podSelector`));
        errs.push(...validateLabelSelectorObject(peer['namespaceSelector'], `${f}.namespaceSelector`));
      });
    });
  }
  strings(spec['policyTypes']).forEach((t, i) => {
    if (t !== 'Ingress' && t !== 'Egress') errs.push(fieldErrors.notSupported(`spec.policyTypes[${i}]`, t, ['Ingress', 'Egress']));
  });
  return errs;
}

/** validateEndpointSlice checks addressType, endpoints' addresses and ports. */
export function validateEndpointSlice(es: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const types = ['IPv4', 'IPv6', 'FQDN'];
  const at = str(es['addressType']) ?? '';
  if (!at) errs.push(fieldErrors.required('addressType'));
  else if (!types.includes(at)) errs.push(fieldErrors.notSupported('addressType', at, types));
  objects(es['endpoints']).forEach((e, i) => {
    const addrs = strings(e['addresses']);
    if (addrs.length === 0) errs.push(fieldErrors.required(`endpoints[${i}].addresses`, 'must contain at least 1 address'));
    if (at === 'IPv4' || at === 'IPv6') addrs.forEach((a, j) => {
      for (const m of isValidIP(a)) errs.push(fieldErrors.invalid(`endpoints[${i}].addresses[${j}]`, a, m));
    });
  });
  errs.push(...validatePolicyPorts(
    objects(es['ports']).map((p) => ({ protocol: p['protocol'], port: p['port'] })),
    'ports',
  ));
  return errs;
}

/** validateEndpointSliceUpdate: addressType is immutable. */
export function validateEndpointSliceUpdate(es: KubeObject, old: KubeObject): FieldError[] {
  return validateImmutableField(es['addressType'], old['addressType'], 'addressType');
}
