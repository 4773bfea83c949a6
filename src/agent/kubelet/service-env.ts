/**
 * Service environment variables (the docker-links style upstream still injects): for each Service with a cluster
 * IP, `<NAME>_SERVICE_HOST`, `<NAME>_SERVICE_PORT`, `<NAME>_SERVICE_PORT_<PORTNAME>` and, per port,
 * `<NAME>_PORT_<port>_<PROTO>{,_PROTO,_PORT,_ADDR}` with `<NAME>_PORT` the first port's URL. NAME is the
 * upper-cased service name with `-` as `_`.
 *
 * Where no cluster IP is reachable from a pod (the process runtime: pods are host processes, and the userspace
 * proxy cannot own cluster IPs without root), a ServiceAddressResolver says where the Service's port is served on
 * this node instead; the variables then carry that host and port. Variable names keep the Service's own port
 * (`<NAME>_PORT_6379_TCP`), so programs that look a port up by name still find it.
 */
import type { KubeObject } from '../../api/meta/types.js';

interface ServiceSpec {
  clusterIP?: string;
  ports?: { name?: string; port: number; protocol?: string }[];
}

/**
 * ServiceAddressResolver tells where a pod on this node reaches a Service port, when that is not the cluster IP and
 * the Service port (the userspace proxy implements it). Undefined: use the cluster IP and port.
 */
export interface ServiceAddressResolver {
  serviceAddress(namespace: string, name: string, port: number, protocol: string): { readonly host: string; readonly port: number } | undefined;
}

/** Which Services a pod sees: its namespace's (when service links are on) and `kubernetes` from default, always. */
export function visibleServices(podNamespace: string, enableServiceLinks: boolean, own: readonly KubeObject[], defaults: readonly KubeObject[]): KubeObject[] {
  const byName = new Map<string, KubeObject>();
  for (const s of defaults) if (s.metadata?.name === 'kubernetes') byName.set('kubernetes', s);
  // A Service of the pod's own namespace wins over default's `kubernetes` of the same name.
  if (enableServiceLinks) for (const s of own) if (s.metadata?.namespace === undefined || s.metadata.namespace === podNamespace) byName.set(s.metadata?.name ?? '', s);
  return [...byName.values()].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}

function envName(s: string): string {
  return s.toUpperCase().replace(/-/g, '_');
}

/** serviceEnv builds the variables for `services` (those without a cluster IP are skipped), see the file comment. */
export function serviceEnv(services: readonly KubeObject[], resolver?: ServiceAddressResolver): Map<string, string> {
  const out = new Map<string, string>();
  for (const svc of services) {
    const spec = (svc['spec'] ?? {}) as ServiceSpec;
    const ip = spec.clusterIP ?? '';
    if (ip === '' || ip === 'None') continue;
    const name = envName(svc.metadata?.name ?? '');
    const ports = (spec.ports ?? []).map((p) => {
      const proto = (p.protocol ?? 'TCP').toUpperCase();
      const at = resolver?.serviceAddress(svc.metadata?.namespace ?? '', svc.metadata?.name ?? '', p.port, proto) ?? { host: ip, port: p.port };
      return { ...p, proto, at };
    });
    const first = ports[0];
    out.set(`${name}_SERVICE_HOST`, first?.at.host ?? ip);
    if (first) out.set(`${name}_SERVICE_PORT`, String(first.at.port));
    for (const p of ports) if (p.name) out.set(`${name}_SERVICE_PORT_${envName(p.name)}`, String(p.at.port));
    ports.forEach((p, i) => {
      const host = p.at.host.includes(':') ? `[${p.at.host}]` : p.at.host;
      const url = `${p.proto.toLowerCase()}://${host}:${p.at.port}`;
      const prefix = `${name}_PORT_${p.port}_${p.proto}`;
      if (i === 0) out.set(`${name}_PORT`, url);
      out.set(prefix, url);
      out.set(`${prefix}_PROTO`, p.proto.toLowerCase());
      out.set(`${prefix}_PORT`, String(p.at.port));
      out.set(`${prefix}_ADDR`, p.at.host);
    });
  }
  return out;
}
