/**
 * ApiServerMetrics: the Prometheus families the API server exports at /metrics, named and labelled as
 * kube-apiserver's so existing dashboards and alerts work:
 * - apiserver_request_total{verb,dry_run,group,version,resource,subresource,scope,component,code}
 * - apiserver_request_duration_seconds{verb,dry_run,group,version,resource,subresource,scope,component} (histogram)
 * - apiserver_current_inflight_requests{request_kind}
 * - apiserver_flowcontrol_rejected_requests_total{flow_schema,priority_level,reason}
 * - apiserver_flowcontrol_current_executing_requests, _current_inqueue_requests, _nominal_limit_seats
 *   {priority_level} (upstream also labels the first two by flow_schema; here they are per level only)
 * - tkube_flowcontrol_backlog_gap_seconds: the backlog pacer's current gap (filters/backlog-pacer.ts)
 * - apiserver_storage_objects{resource}, apiserver_storage_size_bytes (read from callbacks at scrape time)
 * - tkube_storage_current_revision, tkube_storage_compact_revision, tkube_storage_keys
 * - process_* and nodejs_* defaults.
 * Each instance has its own registry, so several servers in one process (tests) do not collide.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { StorageStats } from '../../storage/storage.js';
import type { RequestInfo } from '../request/request-info.js';
import type { RequestKind } from '../filters/max-in-flight.js';

/** REQUEST_DURATION_BUCKETS are kube-apiserver's request latency buckets, in seconds. */
export const REQUEST_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60,
];

/** ApiServerMetricsConfig supplies the figures read at scrape time. */
export interface ApiServerMetricsConfig {
  /** Object counts per resource (`pods`, `deployments.apps`) for apiserver_storage_objects. */
  readonly storageObjectCounts?: () => Promise<ReadonlyMap<string, number> | Readonly<Record<string, number>>>;
  /** Storage size and revision figures. */
  readonly storageStats?: () => Promise<StorageStats>;
  /** Told about a failing callback; the scrape still answers with the other families. */
  readonly onError?: (err: unknown) => void;
  /** The non-exempt priority levels' figures, read at scrape time. */
  readonly flowControlLevels?: () => readonly FlowControlLevelFigures[];
  /** The backlog pacer's current gap in milliseconds, read at scrape time. */
  readonly flowControlBacklogGapMs?: () => number;
}

/** FlowControlLevelFigures is one priority level's state for the flowcontrol gauges. */
export interface FlowControlLevelFigures {
  readonly level: string;
  readonly seats: number;
  readonly executing: number;
  readonly waiting: number;
}

/** RequestObservation is one finished request. */
export interface RequestObservation {
  readonly info: RequestInfo;
  readonly method: string;
  readonly contentType: string | undefined;
  readonly dryRun: boolean;
  readonly code: number;
  readonly durationSeconds: number;
}

/**
 * metricsVerb is upstream's verb label, named after the route action rather than the authorization verb: GET,
 * LIST, WATCH, POST, PUT, PATCH, APPLY (a server-side apply patch), DELETE, DELETECOLLECTION, and CONNECT for
 * exec, attach, portforward and proxy. Non-resource requests report their HTTP method.
 */
export function metricsVerb(info: RequestInfo, method: string, contentType: string | undefined): string {
  const m = method.toUpperCase();
  if (!info.isResourceRequest) return m;
  if (info.verb === 'list') return 'LIST';
  if (info.verb === 'watch') return 'WATCH';
  if (info.verb === 'deletecollection') return 'DELETECOLLECTION';
  if (['exec', 'attach', 'portforward', 'proxy'].includes(info.subresource)) return 'CONNECT';
  if (m === 'PATCH' && contentType?.toLowerCase().startsWith('application/apply-patch')) return 'APPLY';
  return m;
}

/** metricsScope is upstream's scope label: resource (one object or a create), namespace, cluster, or empty. */
export function metricsScope(info: RequestInfo): string {
  if (info.name !== '' || info.verb === 'create') return 'resource';
  if (info.namespace !== '') return 'namespace';
  return info.isResourceRequest ? 'cluster' : '';
}

/** ApiServerMetrics owns a registry with the API server's families. */
export class ApiServerMetrics {
  readonly #registry = new Registry();
  readonly #requests: Counter<string>;
  readonly #durations: Histogram<string>;
  readonly #inflight: Gauge<string>;
  readonly #rejected: Counter<string>;
  /**
   * The metric children of each label set seen, so a request costs two map lookups instead of prom-client hashing
   * a label object twice. Bounded: past MAX_CACHED_LABEL_SETS (hostile paths can invent resources) the slow path runs.
   */
  readonly #children = new Map<string, LabelSetChildren>();

  constructor(config: ApiServerMetricsConfig = {}) {
    const registers = [this.#registry];
    const onError = config.onError ?? (() => undefined);
    this.#requests = new Counter({
      name: 'apiserver_request_total',
      help: 'Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
      labelNames: ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component', 'code'],
      registers,
    });
    this.#durations = new Histogram({
      name: 'apiserver_request_duration_seconds',
      help: 'Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.',
      labelNames: ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component'],
      buckets: [...REQUEST_DURATION_BUCKETS],
      registers,
    });
    this.#inflight = new Gauge({
      name: 'apiserver_current_inflight_requests',
      help: 'Maximal number of currently used inflight request limit of this apiserver per request kind in last second.',
      labelNames: ['request_kind'],
      registers,
    });
    this.#inflight.set({ request_kind: 'readOnly' }, 0);
    this.#inflight.set({ request_kind: 'mutating' }, 0);
    this.#rejected = new Counter({
      name: 'apiserver_flowcontrol_rejected_requests_total',
      help: 'Number of requests rejected by API Priority and Fairness subsystem',
      labelNames: ['flow_schema', 'priority_level', 'reason'],
      registers,
    });
    const levels = config.flowControlLevels;
    const levelGauge = (name: string, help: string, pick: (l: FlowControlLevelFigures) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['priority_level'],
        registers,
        collect() {
          for (const l of levels?.() ?? []) this.set({ priority_level: l.level }, pick(l));
        },
      });
    };
    levelGauge('apiserver_flowcontrol_current_executing_requests', 'Number of requests in initial (for a WATCH) or any (for a non-WATCH) execution stage in the API Priority and Fairness subsystem', (l) => l.executing);
    levelGauge('apiserver_flowcontrol_current_inqueue_requests', 'Number of requests currently pending in queues of the API Priority and Fairness subsystem', (l) => l.waiting);
    levelGauge('apiserver_flowcontrol_nominal_limit_seats', 'Nominal number of execution seats configured for each priority level', (l) => (Number.isFinite(l.seats) ? l.seats : 0));
    const gap = config.flowControlBacklogGapMs;
    new Gauge({
      name: 'tkube_flowcontrol_backlog_gap_seconds',
      help: 'Time paced priority levels leave between two seats handed to flows with a backlog while the event loop is busy (0: not pacing).',
      registers,
      collect() {
        this.set((gap?.() ?? 0) / 1000);
      },
    });
    const counts = config.storageObjectCounts;
    new Gauge({
      name: 'apiserver_storage_objects',
      help: 'Number of stored objects at the time of last check split by kind.',
      labelNames: ['resource'],
      registers,
      async collect() {
        if (!counts) return;
        try {
          const got = await counts();
          const entries = got instanceof Map ? [...got.entries()] : Object.entries(got);
          this.reset();
          for (const [resource, n] of entries) this.set({ resource }, n);
        } catch (err) {
          onError(err);
        }
      },
    });
    const stats = config.storageStats;
    let pending: Promise<StorageStats | undefined> | undefined;
    // The four storage gauges read one stats() call per scrape: the first collector starts it, the others share it.
    const readStats = (): Promise<StorageStats | undefined> => {
      if (!stats) return Promise.resolve(undefined);
      pending ??= stats()
        .catch((err: unknown) => {
          onError(err);
          return undefined;
        })
        .finally(() => setImmediate(() => (pending = undefined)));
      return pending;
    };
    const storageGauge = (name: string, help: string, pick: (s: StorageStats) => number): void => {
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          const s = await readStats();
          if (s) this.set(pick(s));
        },
      });
    };
    storageGauge('apiserver_storage_size_bytes', 'Size of the storage database file physically allocated in bytes.', (s) => s.dbSizeBytes);
    storageGauge('tkube_storage_wal_size_bytes', 'Size of the storage write-ahead log in bytes (part of apiserver_storage_size_bytes).', (s) => s.walSizeBytes ?? 0);
    storageGauge('tkube_storage_used_bytes', 'Bytes of storage database pages holding data, free pages excluded (what --datastore-quota-bytes limits).', (s) => s.usedBytes ?? 0);
    storageGauge('tkube_storage_logical_bytes', 'Bytes of keys and values in every stored version: live objects plus history not yet compacted.', (s) => s.logicalBytes ?? 0);
    storageGauge('tkube_storage_quota_bytes', 'Storage size quota in bytes (--datastore-quota-bytes); 0 means none.', (s) => s.quotaBytes ?? 0);
    storageGauge('tkube_storage_current_revision', 'Newest committed storage revision.', (s) => s.currentRevision);
    storageGauge('tkube_storage_compact_revision', 'Revision at or below which storage history is compacted.', (s) => s.compactRevision);
    storageGauge('tkube_storage_keys', 'Number of live keys in storage.', (s) => s.keys);
    storageGauge('tkube_storage_commits', 'Durable storage commits (group-commit transactions) so far.', (s) => s.commits?.count ?? 0);
    storageGauge('tkube_storage_commit_seconds_sum', 'Seconds spent in durable storage commits so far (divide by commits for the mean write latency).', (s) => s.commits?.seconds ?? 0);
    storageGauge('tkube_storage_fsyncs', 'fsyncs that made storage commits durable so far (one covers every commit before it).', (s) => s.fsyncs?.count ?? 0);
    storageGauge('tkube_storage_fsync_seconds_sum', 'Seconds spent in those fsyncs so far.', (s) => s.fsyncs?.seconds ?? 0);
    storageGauge('tkube_storage_compactions', 'Storage compaction passes so far.', (s) => s.compactions?.count ?? 0);
    storageGauge('tkube_storage_compaction_seconds_sum', 'Seconds spent compacting storage so far.', (s) => s.compactions?.seconds ?? 0);
    storageGauge('tkube_storage_compaction_last_seconds', 'Duration of the last storage compaction pass.', (s) => s.compactions?.lastSeconds ?? 0);
    storageGauge('tkube_storage_compaction_max_pause_seconds', 'Longest single compaction step writers waited behind.', (s) => s.compactions?.maxPauseSeconds ?? 0);
    collectDefaultMetrics({ register: this.#registry });
  }

  /** observeRequest counts a finished request and, unless it was long-running, records its latency. */
  observeRequest(o: RequestObservation, longRunning: boolean): void {
    const verb = metricsVerb(o.info, o.method, o.contentType);
    const scope = metricsScope(o.info);
    const key = `${verb} ${o.dryRun ? 'All' : ''} ${o.info.apiGroup} ${o.info.apiVersion} ${o.info.resource} ${o.info.subresource} ${scope}`;
    let children = this.#children.get(key);
    if (children === undefined && this.#children.size < MAX_CACHED_LABEL_SETS) {
      const labels = {
        verb,
        dry_run: o.dryRun ? 'All' : '',
        group: o.info.apiGroup,
        version: o.info.apiVersion,
        resource: o.info.resource,
        subresource: o.info.subresource,
        scope,
        component: 'apiserver',
      };
      children = { labels, durations: this.#durations.labels(labels), requests: new Map() };
      this.#children.set(key, children);
    }
    if (children !== undefined) {
      let counter = children.requests.get(o.code);
      if (counter === undefined) {
        counter = this.#requests.labels({ ...children.labels, code: String(o.code) });
        children.requests.set(o.code, counter);
      }
      counter.inc();
      if (!longRunning) children.durations.observe(o.durationSeconds);
      return;
    }
    const labels = {
      verb: metricsVerb(o.info, o.method, o.contentType),
      dry_run: o.dryRun ? 'All' : '',
      group: o.info.apiGroup,
      version: o.info.apiVersion,
      resource: o.info.resource,
      subresource: o.info.subresource,
      scope: metricsScope(o.info),
      component: 'apiserver',
    };
    this.#requests.inc({ ...labels, code: String(o.code) });
    if (!longRunning) this.#durations.observe(labels, o.durationSeconds);
  }

  /** setInflight sets the current in-flight count of a request kind. */
  setInflight(kind: RequestKind, count: number): void {
    this.#inflight.set({ request_kind: kind }, count);
  }

  /** observeRejected counts a request refused by priority and fairness. */
  observeRejected(flowSchema: string, priorityLevel: string, reason: string): void {
    this.#rejected.inc({ flow_schema: flowSchema, priority_level: priorityLevel, reason });
  }

  /** The exposition content type (text format 0.0.4). */
  get contentType(): string {
    return this.#registry.contentType;
  }

  /** render returns the exposition text of every family. */
  render(): Promise<string> {
    return this.#registry.metrics();
  }
}

/** How many distinct request label sets observeRequest keeps children for. */
const MAX_CACHED_LABEL_SETS = 5000;

/** LabelSetChildren are the metric children of one request label set (the request counter has one per code). */
interface LabelSetChildren {
  readonly labels: Record<string, string>;
  readonly durations: { observe(value: number): void };
  readonly requests: Map<number, { inc(): void }>;
}
