/**
 * DnsMetrics: the cluster DNS server's Prometheus figures, under CoreDNS's metric names and labels so the dashboards
 * and alerts written for kube-dns/CoreDNS read them unchanged:
 *  - `coredns_dns_requests_total{server,zone,view,proto,family,type}`
 *  - `coredns_dns_responses_total{server,zone,view,rcode,plugin}` (plugin: `kubernetes` for zone answers, `forward`
 *    for forwarded ones, empty for errors the server itself gave, as CoreDNS's FORMERR/NOTIMP)
 *  - `coredns_dns_request_duration_seconds{server,zone,view,type}`, CoreDNS's buckets (0.25 ms doubling to ~8 s)
 *  - `coredns_cache_hits_total{server,type,zones,view}` (type `success` or `denial`) and
 *    `coredns_cache_misses_total{server,zones,view}`: our answer cache (zone answers only)
 *  - `coredns_forward_requests_total{to}`: queries sent to each upstream resolver
 * `zone` is `.`, as a CoreDNS with the single `.:53` server block k3s configures reports it; `server` is
 * `dns://<address>:<port>`. Query types other than the common ones are counted as `other`, as CoreDNS does.
 *
 * The figures live in their own registry; `render()` gives its text, which `tkube server` appends to its /metrics
 * (docs/network.md, "DNS metrics") and serves on `--cluster-dns-metrics-port` when asked.
 */
import { Counter, Histogram, Registry } from 'prom-client';

const TYPES = new Map<number, string>([
  [1, 'A'], [2, 'NS'], [5, 'CNAME'], [6, 'SOA'], [12, 'PTR'], [15, 'MX'], [16, 'TXT'], [28, 'AAAA'], [33, 'SRV'], [35, 'NAPTR'],
  [43, 'DS'], [46, 'RRSIG'], [47, 'NSEC'], [48, 'DNSKEY'], [64, 'SVCB'], [65, 'HTTPS'], [255, 'ANY'], [252, 'AXFR'], [251, 'IXFR'],
]);
const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

/** DURATION_BUCKETS: CoreDNS's `prometheus.ExponentialBuckets(0.00025, 2, 16)`. */
const DURATION_BUCKETS = Array.from({ length: 16 }, (_, i) => 0.00025 * 2 ** i);

/** questionTypeOf reads the QTYPE of a message's first question without decoding it ('other' when absent or odd). */
export function questionTypeOf(msg: Buffer): string {
  let i = 12;
  if (msg.length < i + 5 || msg.readUInt16BE(4) === 0) return 'other';
  while (i < msg.length) {
    const len = msg[i] ?? 0;
    if (len === 0) break;
    if ((len & 0xc0) !== 0) return 'other'; // a question name is never compressed
    i += 1 + len;
  }
  if (i + 3 > msg.length) return 'other';
  return TYPES.get(msg.readUInt16BE(i + 1)) ?? 'other';
}

/** rcodeOf names a response's rcode (the 4 header bits; extended rcodes are not used here). */
export function rcodeOf(response: Buffer): string {
  const code = (response[3] ?? 0) & 0x0f;
  return RCODES[code] ?? String(code);
}

/** answerCountOf is a response's ANCOUNT (0 with rcode NOERROR is NODATA, a "denial" for the cache figures). */
function answerCountOf(response: Buffer): number {
  return response.length >= 8 ? response.readUInt16BE(6) : 0;
}

/** Which part of the server produced an answer. */
export type AnswerSource = 'kubernetes' | 'forward' | 'server';

/** DnsMetrics: see the file comment. */
export class DnsMetrics {
  readonly #registry = new Registry();
  readonly #requests: Counter<string>;
  readonly #responses: Counter<string>;
  readonly #duration: Histogram<string>;
  readonly #cacheHits: Counter<string>;
  readonly #cacheMisses: Counter<string>;
  readonly #forwards: Counter<string>;
  #server = 'dns://:53';

  constructor() {
    const registers = [this.#registry];
    this.#requests = new Counter({ name: 'coredns_dns_requests_total', help: 'Counter of DNS requests made per zone, protocol and family.', labelNames: ['server', 'zone', 'view', 'proto', 'family', 'type'], registers });
    this.#responses = new Counter({ name: 'coredns_dns_responses_total', help: 'Counter of response status codes.', labelNames: ['server', 'zone', 'view', 'rcode', 'plugin'], registers });
    this.#duration = new Histogram({ name: 'coredns_dns_request_duration_seconds', help: 'Histogram of the time (in seconds) each request took per zone.', labelNames: ['server', 'zone', 'view', 'type'], buckets: DURATION_BUCKETS, registers });
    this.#cacheHits = new Counter({ name: 'coredns_cache_hits_total', help: 'The count of cache hits.', labelNames: ['server', 'type', 'zones', 'view'], registers });
    this.#cacheMisses = new Counter({ name: 'coredns_cache_misses_total', help: 'The count of cache misses. Deprecated, derive misses from cache hits/requests counters.', labelNames: ['server', 'zones', 'view'], registers });
    this.#forwards = new Counter({ name: 'coredns_forward_requests_total', help: 'Counter of requests made per upstream.', labelNames: ['to'], registers });
  }

  /** setServer names the listening address in the `server` label (`dns://<address>:<port>`), once bound. */
  setServer(address: string, port: number): void {
    this.#server = `dns://${address.includes(':') ? `[${address}]` : address}:${port}`;
  }

  /**
   * observe records one answered query: `query` as received, `response` as sent (undefined: dropped, only the
   * request is counted), how long it took, whether it came from the answer cache and which part answered.
   */
  observe(query: Buffer, response: Buffer | undefined, o: { proto: 'udp' | 'tcp'; ipv6: boolean; seconds: number; cached: boolean; source: AnswerSource }): void {
    const type = questionTypeOf(query);
    const server = this.#server;
    this.#requests.inc({ server, zone: '.', view: '', proto: o.proto, family: o.ipv6 ? '2' : '1', type });
    if (!response) return;
    const rcode = rcodeOf(response);
    this.#responses.inc({ server, zone: '.', view: '', rcode, plugin: o.source === 'server' ? '' : o.source });
    this.#duration.observe({ server, zone: '.', view: '', type }, o.seconds);
    if (o.cached) this.#cacheHits.inc({ server, type: rcode === 'NOERROR' && answerCountOf(response) > 0 ? 'success' : 'denial', zones: '.', view: '' });
    else this.#cacheMisses.inc({ server, zones: '.', view: '' });
  }

  /** forwarded counts one query sent to an upstream (`host:port`). */
  forwarded(to: string): void {
    this.#forwards.inc({ to });
  }

  /** render is the Prometheus text of every family. */
  render(): Promise<string> {
    return this.#registry.metrics();
  }

  get contentType(): string {
    return this.#registry.contentType;
  }
}
