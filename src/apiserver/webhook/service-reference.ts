/**
 * Webhook service references: admission and conversion webhooks may name a Service (`clientConfig.service`:
 * namespace, name, port, path) instead of a URL. The API server has no cluster network of its own, so, as
 * upstream's endpoint routing does, it resolves the Service port to a ready endpoint address and calls that
 * directly, verifying the webhook's certificate for the Service's DNS name `<name>.<namespace>.svc`.
 */
import type { ObjectReader } from '../admission/object-reader.js';

/** ServiceReference is a webhook's `clientConfig.service`. */
export interface ServiceReference {
  readonly namespace: string;
  readonly name: string;
  /** @default 443 */
  readonly port?: number;
  /** @default "/" */
  readonly path?: string;
}

/** ResolvedService is where to send a webhook call. */
export interface ResolvedService {
  /** `https://<endpoint ip>:<endpoint port><path>` */
  readonly url: string;
  /** The name the webhook's certificate must carry. */
  readonly serverName: string;
}

type JsonRecord = Record<string, unknown>;

function asRecord(v: unknown): JsonRecord {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonRecord) : {};
}

function asRecords(v: unknown): JsonRecord[] {
  return Array.isArray(v) ? v.map(asRecord) : [];
}

/** readServiceReference reads `clientConfig.service`, or undefined when the config has none. */
export function readServiceReference(clientConfig: unknown): ServiceReference | undefined {
  const service = asRecord(asRecord(clientConfig)['service']);
  if (typeof service['name'] !== 'string' || service['name'] === '') return undefined;
  return {
    namespace: typeof service['namespace'] === 'string' ? service['namespace'] : '',
    name: service['name'],
    ...(typeof service['port'] === 'number' ? { port: service['port'] } : {}),
    ...(typeof service['path'] === 'string' ? { path: service['path'] } : {}),
  };
}

/**
 * resolveServiceReference finds a ready endpoint of the referenced Service port. Rejects with a plain reason
 * (`service "ns/x" has no ready endpoints`) that callers wrap in their own failure message.
 */
export async function resolveServiceReference(reader: ObjectReader, ref: ServiceReference): Promise<ResolvedService> {
  const { namespace: ns, name } = ref;
  const port = ref.port ?? 443;
  const svc = await reader.get('', 'services', ns, name);
  if (!svc) throw new Error(`service "${name}" not found`);
  const servicePort = asRecords(asRecord(svc['spec'])['ports']).find((p) => p['port'] === port);
  if (!servicePort) throw new Error(`service "${ns}/${name}" has no port ${port}`);
  const targetPort = servicePort['targetPort'] ?? port;
  const endpoints = await reader.get('', 'endpoints', ns, name);
  for (const subset of asRecords(endpoints?.['subsets'])) {
    const ip = asRecords(subset['addresses'])[0]?.['ip'];
    const p = asRecords(subset['ports']).find((x) => (typeof targetPort === 'number' ? x['port'] === targetPort : x['name'] === servicePort['name'] || x['name'] === targetPort));
    if (typeof ip === 'string' && p && typeof p['port'] === 'number') {
      const host = ip.includes(':') ? `[${ip}]` : ip;
      return { url: `https://${host}:${p['port']}${ref.path ?? '/'}`, serverName: `${name}.${ns}.svc` };
    }
  }
  throw new Error(`service "${ns}/${name}" has no ready endpoints`);
}
