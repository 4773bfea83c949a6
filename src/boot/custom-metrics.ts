/**
 * startCustomMetrics composes the custom/external metrics pipeline of `tkube server`:
 *   the ExternalMetricSource CRD (installed, or updated to this build's schema) → shared informers for pods,
 *   Services, EndpointSlices (service URLs of sources resolve to a ready endpoint) and ExternalMetricSources →
 *   MetricCollector (scrapes, writes ExternalMetricSource status over the API)
 *   → MetricSeriesStore, returned as the CustomMetricsProvider the ControlPlane serves
 *   custom.metrics.k8s.io and external.metrics.k8s.io from.
 * A CRD that cannot be installed is logged and pod scraping still runs.
 * Contract: `stop()` ends the scrapes; the informers stop with the factory's signal.
 */
import type { CustomMetricsProvider } from '../api/custommetrics/custom-metrics-provider.js';
import type { KubeObject } from '../api/meta/types.js';
import { RealClock, type Clock } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import { ApiError } from '../client/api-error.js';
import type { InformerFactory } from '../client/informer/informer-factory.js';
import type { ResourcePath } from '../client/resource-path.js';
import type { RestClient } from '../client/rest-client.js';
import {
  EXTERNAL_METRIC_SOURCE_GROUP,
  EXTERNAL_METRIC_SOURCE_RESOURCE,
  EXTERNAL_METRIC_SOURCE_VERSION,
  externalMetricSourceCrd,
} from '../custommetrics/external-metric-source.js';
import { MetricCollector } from '../custommetrics/metric-collector.js';
import { MetricSeriesStore } from '../custommetrics/metric-series-store.js';
import { httpMetricsFetcher, type MetricsFetcher } from '../custommetrics/metrics-fetcher.js';
import { serviceResolvingFetcher } from '../custommetrics/service-url-resolver.js';

/** RunningCustomMetrics is the started pipeline. */
export interface RunningCustomMetrics {
  readonly provider: CustomMetricsProvider;
  stop(): void;
}

/** CustomMetricsOptions configures startCustomMetrics. */
export interface CustomMetricsOptions {
  readonly client: RestClient;
  readonly informers: InformerFactory;
  /** `--metrics-scrape-interval`. */
  readonly scrapeIntervalMs?: number;
  /** `--cluster-domain`, for service URLs (`http://queue.ns.svc.<domain>/metrics`). @default "cluster.local" */
  readonly clusterDomain?: string;
  readonly log: Logger;
  readonly clock?: Clock;
  readonly fetch?: MetricsFetcher;
}

const CRDS: ResourcePath = { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions' };
const SOURCES: ResourcePath = { group: EXTERNAL_METRIC_SOURCE_GROUP, version: EXTERNAL_METRIC_SOURCE_VERSION, resource: EXTERNAL_METRIC_SOURCE_RESOURCE };
/** Index of EndpointSlices by `<namespace>/<service name>`. */
const SLICE_SERVICE_INDEX = 'tkube-metrics-service';
/** How long boot waits for the CRD to be served before starting its informer anyway (it retries by itself). */
const ESTABLISH_TIMEOUT_MS = 10_000;

/** installExternalMetricSourceCrd creates the CRD, or brings an older one's spec up to date; resolves when served. */
export async function installExternalMetricSourceCrd(client: RestClient, clock: Clock): Promise<void> {
  const wanted = externalMetricSourceCrd();
  const name = wanted.metadata?.name ?? '';
  try {
    await client.create(CRDS, wanted);
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 409)) throw err;
    const current = await client.get({ ...CRDS, name });
    if (JSON.stringify(current.spec) !== JSON.stringify({ ...(current.spec as object), ...(wanted.spec as object) })) {
      await client.update({ ...CRDS, name }, { ...current, spec: wanted.spec });
    }
  }
  const deadline = clock.now() + ESTABLISH_TIMEOUT_MS;
  while (clock.now() < deadline) {
    const crd = await client.get({ ...CRDS, name });
    const conditions = ((crd.status ?? {}) as { conditions?: { type?: string; status?: string }[] }).conditions ?? [];
    if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) return;
    await clock.sleep(100);
  }
}

/** startCustomMetrics starts the collector and installs the CRD in the background. */
export function startCustomMetrics(options: CustomMetricsOptions): RunningCustomMetrics {
  const { client, informers, log } = options;
  const clock = options.clock ?? new RealClock();
  const services = informers.informerFor({ version: 'v1', resource: 'services' });
  const store = new MetricSeriesStore({
    clock,
    services: (namespace, name) => {
      const svc = services.store.get(`${namespace}/${name}`);
      return ((svc?.spec ?? {}) as { selector?: Record<string, string> }).selector;
    },
  });
  const slices = informers.informerFor({ group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' });
  if (!slices.store.hasIndex(SLICE_SERVICE_INDEX)) {
    slices.store.addIndexers({
      [SLICE_SERVICE_INDEX]: (s) => {
        const svc = s.metadata?.labels?.['kubernetes.io/service-name'];
        return svc ? [`${s.metadata?.namespace ?? ''}/${svc}`] : [];
      },
    });
  }
  const fetch = serviceResolvingFetcher(
    options.fetch ?? httpMetricsFetcher,
    {
      service: (namespace, name) => services.store.get(`${namespace}/${name}`),
      endpointSlices: (namespace, name) => slices.store.byIndex(SLICE_SERVICE_INDEX, `${namespace}/${name}`),
    },
    options.clusterDomain ?? 'cluster.local',
  );
  const collector = new MetricCollector({
    clock,
    fetch,
    store,
    ...(options.scrapeIntervalMs !== undefined ? { defaultIntervalMs: options.scrapeIntervalMs } : {}),
    writeSourceStatus: async (namespace, name, status) => {
      await client.patch({ ...SOURCES, namespace, name, subresource: 'status' }, 'merge', { status });
    },
    log,
  });
  const pods = informers.informerFor({ version: 'v1', resource: 'pods' });
  pods.addEventHandler({
    onAdd: (pod) => collector.podChanged(pod),
    onUpdate: (_old, pod) => collector.podChanged(pod),
    onDelete: (pod) => collector.podDeleted(pod),
  });
  // The CRD is installed in the background: boot does not wait for it to be established, and the sources'
  // informer starts once it is served.
  let stopped = false;
  void installExternalMetricSourceCrd(client, clock).then(
    () => {
      if (stopped) return;
      const sources = informers.informerFor<KubeObject>(SOURCES);
      sources.addEventHandler({
        onAdd: (obj) => collector.sourceChanged(obj),
        // Our own status writes come back as updates; only a spec change restarts the target (sourceChanged
        // compares the parsed spec).
        onUpdate: (_old, obj) => collector.sourceChanged(obj),
        onDelete: (obj) => collector.sourceDeleted(obj),
      });
    },
    (err: unknown) => {
      if (!stopped) log.error('Cannot install the ExternalMetricSource CRD: external metrics are unavailable', { error: err instanceof Error ? err.message : String(err) });
    },
  );
  return {
    provider: store,
    stop: () => {
      stopped = true;
      collector.stop();
    },
  };
}
