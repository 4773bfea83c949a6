/**
 * MetricsApiHandler: the ResourceHandler in front of the dispatcher that routes requests for a metrics API group
 * to its MetricsApiProvider, and everything else to `next`. For a provider's group it answers by itself: 404 for a
 * version or resource it does not serve, 405 MethodNotAllowed for a verb the resource does not list (writes,
 * watch), as upstream's generic API server answers for read-only storage.
 */
import { methodNotAllowed, newStatus, StatusError } from '../../api/meta/status-error.js';
import type { RequestScope, ResourceHandler } from '../request/request-scope.js';
import type { MetricsApiProvider } from './metrics-api-provider.js';

/** MetricsApiHandlerConfig constructs a MetricsApiHandler. */
export interface MetricsApiHandlerConfig {
  readonly providers: readonly MetricsApiProvider[];
  readonly next: ResourceHandler;
}

function notFound(): StatusError {
  return new StatusError(newStatus(404, 'NotFound', 'the server could not find the requested resource', {}));
}

/** MetricsApiHandler routes metrics API requests; see the file comment. */
export class MetricsApiHandler implements ResourceHandler {
  readonly #c: MetricsApiHandlerConfig;
  readonly #groups: ReadonlyMap<string, readonly MetricsApiProvider[]>;

  constructor(config: MetricsApiHandlerConfig) {
    this.#c = config;
    const groups = new Map<string, MetricsApiProvider[]>();
    for (const p of config.providers) groups.set(p.group, [...(groups.get(p.group) ?? []), p]);
    this.#groups = groups;
  }

  async handle(scope: RequestScope): Promise<void> {
    const { info } = scope;
    const providers = info.apiPrefix === 'apis' ? this.#groups.get(info.apiGroup) : undefined;
    if (!providers) return this.#c.next.handle(scope);
    const provider = providers.find((p) => p.version === info.apiVersion);
    const resource = provider?.resources.find((r) => r.resource === info.resource);
    if (!provider || !resource || info.subresource !== '') throw notFound();
    if (!resource.verbs.includes(info.verb)) {
      throw methodNotAllowed(`the server does not allow this method on the requested resource (${info.verb} ${info.resource}.${info.apiGroup})`);
    }
    await provider.serve(scope);
  }
}
