/**
 * ResourceMetricsApi: metrics.k8s.io/v1beta1, the resource metrics API that `kubectl top` and the
 * HorizontalPodAutoscaler read — `nodes` (NodeMetrics, cluster-scoped) and `pods` (PodMetrics, namespaced), get and
 * list only, with label selectors (on the node's or pod's labels) and field selectors on metadata.name and
 * metadata.namespace, in JSON, YAML or as a Table (`kubectl get nodes.metrics.k8s.io`).
 *
 * The figures come from a ResourceMetricsSource (the in-process metrics server, attached by boot/ once it runs).
 * Before one is attached every request answers 503 ServiceUnavailable, as upstream's aggregator does while
 * metrics-server is not up. A node or pod without figures (not scraped yet, only one sample so far) is NotFound
 * with upstream's message: `nodemetrics.metrics.k8s.io "n1" not found`, `podmetrics.metrics.k8s.io "ns/p" not found`.
 */
import { FieldSelectorParseError, parseFieldSelector, unsupportedField, type FieldSelector } from '../../api/meta/fields.js';
import { LabelSelectorParseError, parseLabelSelector, type LabelSelector } from '../../api/meta/labels.js';
import { badRequest, newStatus, StatusError } from '../../api/meta/status-error.js';
import type { KubeObject } from '../../api/meta/types.js';
import { METRICS_API_VERSION, METRICS_GROUP, METRICS_VERSION, type NodeMetrics, type PodMetrics } from '../../api/metrics/resource-metrics.js';
import type { ResourceInfo } from '../../api/scheme.js';
import { negotiateResponse, renderList, renderObject } from '../handlers/response-format.js';
import { writeJson } from '../negotiation/write.js';
import type { RequestScope } from '../request/request-scope.js';
import type { MetricsApiProvider } from './metrics-api-provider.js';
import { NODE_METRICS_TABLE, POD_METRICS_TABLE } from './resource-metrics-table.js';

/** ResourceMetricsSource supplies the current figures (implemented by metricsserver/MetricsServer). */
export interface ResourceMetricsSource {
  nodes(): readonly NodeMetrics[];
  pods(): readonly PodMetrics[];
}

const READ_ONLY = ['get', 'list'];

/** RESOURCE_METRICS_RESOURCES are the resources of metrics.k8s.io/v1beta1, as discovery publishes them. */
export const RESOURCE_METRICS_RESOURCES: readonly ResourceInfo[] = [
  { group: METRICS_GROUP, version: METRICS_VERSION, kind: 'NodeMetrics', resource: 'nodes', singular: 'nodemetrics', namespaced: false, verbs: READ_ONLY },
  { group: METRICS_GROUP, version: METRICS_VERSION, kind: 'PodMetrics', resource: 'pods', singular: 'podmetrics', namespaced: true, verbs: READ_ONLY },
];

const NODE_FIELDS = new Set(['metadata.name']);
const POD_FIELDS = new Set(['metadata.name', 'metadata.namespace']);

function notFound(resource: 'nodemetrics' | 'podmetrics', name: string): StatusError {
  return new StatusError(
    newStatus(404, 'NotFound', `${resource}.${METRICS_GROUP} "${name}" not found`, { name, group: METRICS_GROUP, kind: resource }),
  );
}

function selectors(url: URL, supported: ReadonlySet<string>): { labels: LabelSelector; fields: FieldSelector } {
  try {
    const labels = parseLabelSelector(url.searchParams.get('labelSelector') ?? '');
    const fields = parseFieldSelector(url.searchParams.get('fieldSelector') ?? '');
    const bad = unsupportedField(fields, supported);
    if (bad !== undefined) throw badRequest(`field label not supported: ${bad}`);
    return { labels, fields };
  } catch (err) {
    if (err instanceof LabelSelectorParseError || err instanceof FieldSelectorParseError) throw badRequest(err.message);
    throw err;
  }
}

function fieldsOf(obj: KubeObject): Record<string, string> {
  return { 'metadata.name': obj.metadata?.name ?? '', 'metadata.namespace': obj.metadata?.namespace ?? '' };
}

/** ResourceMetricsApi serves metrics.k8s.io/v1beta1; see the file comment. */
export class ResourceMetricsApi implements MetricsApiProvider {
  readonly group = METRICS_GROUP;
  readonly version = METRICS_VERSION;
  readonly resources = RESOURCE_METRICS_RESOURCES;
  #source: ResourceMetricsSource | undefined;
  readonly #now: () => Date;

  constructor(options: { source?: ResourceMetricsSource; now?: () => Date } = {}) {
    this.#source = options.source;
    this.#now = options.now ?? (() => new Date());
  }

  /** attach sets (or replaces) where the figures come from. */
  attach(source: ResourceMetricsSource | undefined): void {
    this.#source = source;
  }

  async serve(scope: RequestScope): Promise<void> {
    const source = this.#source;
    if (!source) {
      throw new StatusError(newStatus(503, 'ServiceUnavailable', 'the server is currently unable to handle the request (the metrics server is not running)', { retryAfterSeconds: 1 }));
    }
    const { info, url, req, res } = scope;
    const format = negotiateResponse(req.headers.accept, url.searchParams.get('includeObject'));
    const nodes = info.resource === 'nodes';
    if (nodes && info.namespace !== '') throw new StatusError(newStatus(404, 'NotFound', 'the server could not find the requested resource', {}));
    const table = { convertor: nodes ? NODE_METRICS_TABLE : POD_METRICS_TABLE, now: this.#now() };
    const all: readonly KubeObject[] = nodes ? source.nodes() : source.pods();
    if (info.verb === 'get') {
      const found = all.find((o) => o.metadata?.name === info.name && (nodes || o.metadata?.namespace === info.namespace));
      if (!found) throw nodes ? notFound('nodemetrics', info.name) : notFound('podmetrics', `${info.namespace}/${info.name}`);
      const body = renderObject(found, format, table);
      return writeJson(res, 200, body, format.contentType);
    }
    const { labels, fields } = selectors(url, nodes ? NODE_FIELDS : POD_FIELDS);
    const items = all.filter(
      (o) => (nodes || info.namespace === '' || o.metadata?.namespace === info.namespace) && labels.matches(o.metadata?.labels) && fields.matches(fieldsOf(o)),
    );
    const list = { kind: nodes ? 'NodeMetricsList' : 'PodMetricsList', apiVersion: METRICS_API_VERSION, metadata: {}, items: [...items] };
    const body = format.kind === 'json' ? list : renderList(list, format, table);
    return writeJson(res, 200, body, format.contentType);
  }
}
