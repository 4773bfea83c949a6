/**
 * serverResources: what the server serves, read from the legacy discovery documents (`/api/v1` and the preferred
 * version of every group under `/apis`). Subresources are left out. A group whose document cannot be read is
 * reported in `failed` instead of failing the whole answer, as upstream's discovery client does, so callers such
 * as the namespace controller can work with what they have and report the rest.
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

/** serverResources lists the top-level resources of the core group and of each group's preferred version. */
export async function serverResources(client: RestClient): Promise<DiscoveryResult> {
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
