/**
 * serverResources: what the server serves, in the preferred version of every group. Read from the aggregated
 * discovery documents (`/api` and `/apis` as apidiscovery.k8s.io/v2: two requests, as client-go since 1.30), else,
 * from a server that answers those with the legacy lists, from the legacy documents (`/api/v1` and one per group:
 * twenty-odd requests, which the garbage collector's rediscovery every 30 s made a third of an idle server's API
 * calls). Subresources are left out. A group whose document cannot be read (or that aggregated discovery marks
 * Stale) is reported in `failed` instead of failing the whole answer, as upstream's discovery client does, so
 * callers such as the namespace controller can work with what they have and report the rest.
 */
import type { RestClient } from './rest-client.js';

/** ServerResource is one top-level resource of one group/version. */
export interface ServerResource {
  /** "" for the core group. */
  readonly group: string;
  readonly version: string;
  /** Plural name, e.g. "deployments". */
  readonly resource: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly verbs: readonly string[];
}

/** DiscoveryResult is the resources found, and the group/versions that could not be read. */
export interface DiscoveryResult {
  readonly resources: readonly ServerResource[];
  readonly failed: readonly { readonly groupVersion: string; readonly error: unknown }[];
}

interface ResourceListDoc {
  resources?: { name?: unknown; kind?: unknown; namespaced?: unknown; verbs?: unknown }[];
}

interface GroupListDoc {
  groups?: { name?: unknown; preferredVersion?: { version?: unknown } }[];
}

function resourcesOf(doc: unknown, group: string, version: string): ServerResource[] {
  const out: ServerResource[] = [];
  for (const r of (doc as ResourceListDoc).resources ?? []) {
    if (typeof r.name !== 'string' || r.name.includes('/')) continue;
    const verbs = Array.isArray(r.verbs) ? r.verbs.filter((v): v is string => typeof v === 'string') : [];
    out.push({ group, version, resource: r.name, kind: typeof r.kind === 'string' ? r.kind : '', namespaced: r.namespaced === true, verbs });
  }
  return out;
}

/** AGGREGATED_DISCOVERY asks `/api` and `/apis` for the aggregated document. */
const AGGREGATED_DISCOVERY = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

interface AggregatedDoc {
  kind?: unknown;
  items?: {
    metadata?: { name?: unknown };
    versions?: { version?: unknown; freshness?: unknown; resources?: { resource?: unknown; responseKind?: { kind?: unknown }; scope?: unknown; verbs?: unknown }[] }[];
  }[];
}

/** fromAggregated reads both aggregated documents; undefined when the server sent something else. */
function fromAggregated(core: unknown, groups: unknown): DiscoveryResult | undefined {
  const docs = [core, groups] as AggregatedDoc[];
  if (!docs.every((d) => d?.kind === 'APIGroupDiscoveryList' && Array.isArray(d.items))) return undefined;
  const resources: ServerResource[] = [];
  const failed: { groupVersion: string; error: unknown }[] = [];
  for (const g of docs.flatMap((d) => d.items ?? [])) {
    const group = typeof g.metadata?.name === 'string' ? g.metadata.name : '';
    const preferred = g.versions?.[0];
    if (!preferred || typeof preferred.version !== 'string') continue;
    const gv = group === '' ? preferred.version : `${group}/${preferred.version}`;
    if (preferred.freshness === 'Stale') {
      failed.push({ groupVersion: gv, error: new Error(`the discovery document of ${gv} is stale`) });
      continue;
    }
    for (const r of preferred.resources ?? []) {
      if (typeof r.resource !== 'string' || r.resource.includes('/')) continue;
      const verbs = Array.isArray(r.verbs) ? r.verbs.filter((v): v is string => typeof v === 'string') : [];
      const kind = typeof r.responseKind?.kind === 'string' ? r.responseKind.kind : '';
      resources.push({ group, version: preferred.version, resource: r.resource, kind, namespaced: r.scope === 'Namespaced', verbs });
    }
  }
  return { resources, failed };
}

/** serverResources lists the top-level resources of the core group and of each group's preferred version. */
export async function serverResources(client: RestClient): Promise<DiscoveryResult> {
  try {
    const [core, groups] = await Promise.all([client.getPath('/api', AGGREGATED_DISCOVERY), client.getPath('/apis', AGGREGATED_DISCOVERY)]);
    const aggregated = fromAggregated(core, groups);
    if (aggregated) return aggregated;
  } catch {
    // The legacy documents say which group failed.
  }
  return legacyServerResources(client);
}

/** legacyServerResources is serverResources from the legacy documents, one request per group/version. */
export async function legacyServerResources(client: RestClient): Promise<DiscoveryResult> {
  const failed: { groupVersion: string; error: unknown }[] = [];
  const versions: { group: string; version: string }[] = [{ group: '', version: 'v1' }];
  try {
    const groups = (await client.getPath('/apis')) as GroupListDoc;
    for (const g of groups.groups ?? []) {
      const version = g.preferredVersion?.version;
      if (typeof g.name === 'string' && typeof version === 'string') versions.push({ group: g.name, version });
    }
  } catch (error) {
    failed.push({ groupVersion: '/apis', error });
  }
  const docs = await Promise.all(
    versions.map(async ({ group, version }) => {
      const gv = group === '' ? version : `${group}/${version}`;
      try {
        return resourcesOf(await client.getPath(group === '' ? `/api/${version}` : `/apis/${gv}`), group, version);
      } catch (error) {
        failed.push({ groupVersion: gv, error });
        return [];
      }
    }),
  );
  return { resources: docs.flat(), failed };
}
