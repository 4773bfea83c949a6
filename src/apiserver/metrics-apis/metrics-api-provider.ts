/**
 * MetricsApiProvider: an API group served from memory rather than from storage — the metrics APIs
 * (metrics.k8s.io here; custom.metrics.k8s.io and external.metrics.k8s.io are added the same way). Upstream serves
 * these through the aggregation layer from separate servers (metrics-server, an adapter); tkube serves them
 * in-process, so a provider is just the group's resources (for discovery and RBAC) and a request handler.
 *
 * Contract: the MetricsApiHandler calls `serve` only for a request in the provider's group and version whose
 * resource is one of `resources` and whose verb that resource lists; the provider answers it in full or throws a
 * StatusError before writing (RequestScope's contract). Authorization already happened in the filter chain.
 */
import type { ResourceInfo } from '../../api/scheme.js';
import type { RequestScope } from '../request/request-scope.js';

/** MetricsApiProvider serves one group/version; see the file comment. */
export interface MetricsApiProvider {
  readonly group: string;
  readonly version: string;
  /** The served resources, published in discovery as built-in ones are. */
  readonly resources: readonly ResourceInfo[];
  serve(scope: RequestScope): Promise<void>;
}
