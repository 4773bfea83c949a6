/**
 * ResourceResolver: scaleTargetRef (apiVersion + kind) → the resource to address, like upstream's RESTMapper
 * lookup, read from the discovery document of that group/version. Documents are cached and read again on a miss
 * (a CRD installed after the HPA) at most once per `refreshMs`, so a wrong kind does not hammer discovery.
 */
import type { Clock } from '../../base/clock/clock.js';
import type { RestClient } from '../../client/rest-client.js';
import { failed, ok, type Result } from './types.js';

/** ResolvedResource is where a kind is served. */
export interface ResolvedResource {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly namespaced: boolean;
  /** Whether `<resource>/scale` is served. */
  readonly hasScale: boolean;
}

interface ResourceListDoc {
  resources?: { name?: unknown; kind?: unknown; namespaced?: unknown }[];
}

interface CachedDoc {
  readonly readAt: number;
  readonly doc: ResourceListDoc;
}

/** ResourceResolver maps kinds to resources through discovery. */
export class ResourceResolver {
  readonly #client: RestClient;
  readonly #clock: Clock;
  readonly #refreshMs: number;
  readonly #docs = new Map<string, CachedDoc>();

  constructor(config: { client: RestClient; clock: Clock; refreshMs?: number }) {
    this.#client = config.client;
    this.#clock = config.clock;
    this.#refreshMs = config.refreshMs ?? 10_000;
  }

  /** resolve finds the resource of `kind` in `apiVersion` ("apps/v1", "v1", "example.com/v1"). */
  async resolve(apiVersion: string | undefined, kind: string): Promise<Result<ResolvedResource>> {
    // An empty apiVersion parses as the core group upstream (an RC reference written without one still works).
    const gv = apiVersion === undefined || apiVersion === '' ? 'v1' : apiVersion;
    const parts = gv.split('/');
    if (parts.length > 2 || parts.some((p) => p === '')) return failed(`unexpected GroupVersion string: ${gv}`);
    const group = parts.length === 2 ? (parts[0] ?? '') : '';
    const version = parts.length === 2 ? (parts[1] ?? '') : (parts[0] ?? '');
    let cached = this.#docs.get(gv);
    let found = cached ? find(cached.doc, kind) : undefined;
    if (!found && (!cached || this.#clock.now() - cached.readAt >= this.#refreshMs)) {
      try {
        const doc = (await this.#client.getPath(group === '' ? `/api/${version}` : `/apis/${group}/${version}`)) as ResourceListDoc;
        cached = { readAt: this.#clock.now(), doc };
        this.#docs.set(gv, cached);
        found = find(doc, kind);
      } catch (err) {
        return failed(`no matches for kind "${kind}" in version "${gv}": ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (!found) return failed(`no matches for kind "${kind}" in group "${group}"`);
    return ok({ group, version, resource: found.resource, namespaced: found.namespaced, hasScale: found.hasScale });
  }
}

function find(doc: ResourceListDoc, kind: string): { resource: string; namespaced: boolean; hasScale: boolean } | undefined {
  const resources = doc.resources ?? [];
  const top = resources.find((r) => r.kind === kind && typeof r.name === 'string' && !r.name.includes('/'));
  if (!top || typeof top.name !== 'string') return undefined;
  const name = top.name;
  return { resource: name, namespaced: top.namespaced === true, hasScale: resources.some((r) => r.name === `${name}/scale`) };
}
