/**
 * Service environment variables (the docker-links style upstream still injects): for each Service with a cluster
 * IP, `<NAME>_SERVICE_HOST`, `<NAME>_SERVICE_PORT`, `<NAME>_SERVICE_PORT_<PORTNAME>` and, per port,
 * `<NAME>_PORT_<port>_<PROTO>{,_PROTO,_PORT,_ADDR}` with `<NAME>_PORT` the first port's URL. NAME is the
 * upper-cased service name with `-` as `_`.
 */
import type { KubeObject } from '../../api/meta/types.js';

interface ServiceSpec {
  clusterIP?: string;
  ports?: { name?: string; port: number; protocol?: string }[];
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

/** serviceEnv builds the variables for `services` (those without a cluster IP are skipped). */
export function serviceEnv(services: readonly KubeObject[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const svc of services) {
    const spec = (svc['spec'] ?? {}) as ServiceSpec;
    const ip = spec.clusterIP ?? '';
    if (ip === '' || ip === 'None') continue;
    const name = envName(svc.metadata?.name ?? '');
    const ports = spec.ports ?? [];
    const first = ports[0];
    out.set(`${name}_SERVICE_HOST`, ip);
    if (first) out.set(`${name}_SERVICE_PORT`, String(first.port));
    for (const p of ports) if (p.name) out.set(`${name}_SERVICE_PORT_${envName(p.name)}`, String(p.port));
    const host = ip.includes(':') ? `[${ip}]` : ip;
    ports.forEach((p, i) => {
      const proto = (p.protocol ?? 'TCP').toUpperCase();
      const url = `${proto.toLowerCase()}://${host}:${p.port}`;
      const prefix = `${name}_PORT_${p.port}_${proto}`;
      if (i === 0) out.set(`${name}_PORT`, url);
      out.set(prefix, url);
      out.set(`${prefix}_PROTO`, proto.toLowerCase());
      out.set(`${prefix}_PORT`, String(p.port));
      out.set(`${prefix}_ADDR`, ip);
    });
  }
  return out;
}
