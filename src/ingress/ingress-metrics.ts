/**
 * IngressMetrics: the Ingress proxy's Prometheus figures, under ingress-nginx's metric names and a subset of its
 * labels, so dashboards written for ingress-nginx read them:
 *  - `nginx_ingress_controller_requests{ingress,namespace,service,method,status}`: requests answered;
 *  - `nginx_ingress_controller_request_duration_seconds{…same}`: from the request to the end of the response.
 * `ingress`, `namespace` and `service` name the matched route (empty for a 404 or the default backend), never the
 * client's Host header, so a client cannot make new series at will. `tkube server` appends `render()`'s text to
 * its /metrics.
 */
import { Counter, Histogram, Registry } from 'prom-client';

const LABELS = ['ingress', 'namespace', 'service', 'method', 'status'] as const;
/** Methods outside this set are counted as `other` (the method is the client's to choose). */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE']);

/** What one answered request is counted under. */
export interface IngressRequestLabels {
  /** `namespace/name` of the Ingress whose rule matched; undefined: none did. */
  readonly ingress?: string;
  readonly service?: string;
  readonly method: string;
  readonly status: number;
}

/** IngressMetrics: see the file comment. */
export class IngressMetrics {
  readonly #registry = new Registry();
  readonly #requests: Counter<(typeof LABELS)[number]>;
  readonly #duration: Histogram<(typeof LABELS)[number]>;

  constructor() {
    const registers = [this.#registry];
    this.#requests = new Counter({ name: 'nginx_ingress_controller_requests', help: 'The total number of client requests', labelNames: LABELS, registers });
    this.#duration = new Histogram({ name: 'nginx_ingress_controller_request_duration_seconds', help: 'The request processing time in seconds', labelNames: LABELS, registers });
  }

  /** observe counts one answered request that took `seconds`. */
  observe(l: IngressRequestLabels, seconds: number): void {
    const [namespace = '', name = ''] = (l.ingress ?? '').split('/');
    const labels = { ingress: name, namespace, service: l.service ?? '', method: METHODS.has(l.method) ? l.method : 'other', status: String(l.status) };
    this.#requests.inc(labels);
    this.#duration.observe(labels, seconds);
  }

  /** render is the Prometheus text of every family. */
  render(): Promise<string> {
    return this.#registry.metrics();
  }
}
