/**
 * ClusterDnsZone: the records of the cluster domain (`cluster.local` by default), as the Kubernetes DNS
 * specification lays them out, kept in memory and answered in O(1) (hash lookups), because the DNS server answers
 * every pod's lookups from here.
 *
 * Records (D = the cluster domain, `<base>` = `<svc>.<ns>.svc.D`):
 *  - ClusterIP Service: A/AAAA `<base>` → its cluster IPs; SRV `_<port>._<proto>.<base>` → `<base>` for each named
 *    port; PTR for each cluster IP.
 *  - Headless Service (clusterIP None): A/AAAA `<base>` → each ready endpoint (all with publishNotReadyAddresses);
 *    each such endpoint also gets `<name>.<base>` where name is the endpoint's `hostname` (StatefulSet pods:
 *    `web-0.web.ns.svc.D`) or its dashed address (`10-42-0-5`); SRV per named port → those names; PTR for each
 *    endpoint address → its name.
 *  - ExternalName Service: CNAME `<base>` → the external name.
 *  - Pods: `1-2-3-4.<ns>.pod.D` → A 1.2.3.4, synthesized from the name as CoreDNS's `pods insecure` does (no pod
 *    lookup, so no pod informer).
 *  - SOA (and NS) at D; negative answers carry the SOA in the authority section (RFC 2308).
 *
 * A name that exists with no record of the asked type (including empty non-terminals such as `svc.D` or
 * `_tcp.<base>`) is NODATA; a name that does not exist is NXDOMAIN. Reverse names (`in-addr.arpa`, `ip6.arpa`) the
 * zone has no PTR for are `notAuthoritative`, so the server forwards them (CoreDNS's `fallthrough`).
 *
 * The zone is pure: the informer feed (zone-feed.ts) calls the upsert/delete methods; nothing here does I/O.
 */
import { isIP } from 'node:net';

/** DnsRecordType is the record types the zone holds. */
export type ZoneRecordType = 'A' | 'AAAA' | 'CNAME' | 'SRV' | 'PTR' | 'SOA' | 'NS';

/** ZoneRecord is one resource record; `name` is lower-case, without the trailing dot. */
export type ZoneRecord =
  | { readonly name: string; readonly type: 'A' | 'AAAA' | 'CNAME' | 'PTR' | 'NS'; readonly ttl: number; readonly data: string }
  | { readonly name: string; readonly type: 'SRV'; readonly ttl: number; readonly data: { readonly priority: number; readonly weight: number; readonly port: number; readonly target: string } }
  | {
      readonly name: string;
      readonly type: 'SOA';
      readonly ttl: number;
      readonly data: { readonly mname: string; readonly rname: string; readonly serial: number; readonly refresh: number; readonly retry: number; readonly expire: number; readonly minimum: number };
    };

/** ZoneAnswer is the outcome of a lookup. */
export type ZoneAnswer =
  | { readonly kind: 'answer'; readonly answers: readonly ZoneRecord[] }
  /** The name exists but has no record of the type: NOERROR, no answers, SOA in authority. */
  | { readonly kind: 'nodata'; readonly authority: readonly ZoneRecord[] }
  | { readonly kind: 'nxdomain'; readonly authority: readonly ZoneRecord[] }
  /** Not the zone's to answer: forward it. */
  | { readonly kind: 'notAuthoritative' };

/** The parts of a Service the zone reads. */
export interface ZoneService {
  metadata?: { name?: string; namespace?: string };
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    externalName?: string;
    publishNotReadyAddresses?: boolean;
    ports?: { name?: string; port?: number; protocol?: string }[];
  };
}

/** The parts of an EndpointSlice the zone reads. */
export interface ZoneEndpointSlice {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  addressType?: string;
  endpoints?: { addresses?: string[]; hostname?: string; conditions?: { ready?: boolean | null } }[] | null;
  ports?: { name?: string | null; port?: number | null; protocol?: string | null }[] | null;
}

/** ClusterDnsZoneConfig constructs a zone. */
export interface ClusterDnsZoneConfig {
  /** @default "cluster.local" */
  readonly domain?: string;
  /** TTL of every record, negative answers included. @default 30 */
  readonly ttlSeconds?: number;
  /** The cluster DNS Service IP: the address of the zone's NS name `ns.dns.<domain>`. */
  readonly dnsIP?: string;
}

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** Records one owner (a Service) contributed, so a change replaces exactly them. */
interface Owned {
  readonly records: readonly ZoneRecord[];
  /** Names that exist only because they are ancestors of the records (empty non-terminals). */
  readonly ancestors: readonly string[];
}

/** ClusterDnsZone holds the cluster domain's records; see the file comment. */
export class ClusterDnsZone {
  readonly domain: string;
  readonly ttl: number;
  readonly #suffix: string;
  readonly #soa: ZoneRecord;
  readonly #apex: ZoneRecord[];
  /** name → type → records (several owners may share a name, e.g. PTR of one IP). */
  readonly #names = new Map<string, Map<string, ZoneRecord[]>>();
  /** Empty non-terminals and names with records, with a reference count. */
  readonly #exists = new Map<string, number>();
  readonly #services = new Map<string, ZoneService>();
  /** `<ns>/<service>` → slice name → slice. */
  readonly #slices = new Map<string, Map<string, ZoneEndpointSlice>>();
  readonly #owned = new Map<string, Owned>();
  #generation = 0;

  constructor(config: ClusterDnsZoneConfig = {}) {
    this.domain = (config.domain ?? 'cluster.local').toLowerCase().replace(/\.$/, '');
    this.ttl = config.ttlSeconds ?? 30;
    this.#suffix = `.${this.domain}`;
    const ns = `ns.dns.${this.domain}`;
    this.#soa = {
      name: this.domain,
      type: 'SOA',
      ttl: this.ttl,
      data: { mname: ns, rname: `hostmaster.${this.domain}`, serial: Math.floor(Date.now() / 1000), refresh: 7200, retry: 1800, expire: 86400, minimum: this.ttl },
    };
    this.#apex = [{ name: this.domain, type: 'NS', ttl: this.ttl, data: ns }];
    this.#add('zone', [this.#soa, ...this.#apex, ...(config.dnsIP && isIP(config.dnsIP) ? [addressRecord(ns, config.dnsIP, this.ttl)] : [])], [`svc.${this.domain}`, `pod.${this.domain}`]);
  }

  /** generation changes whenever the zone's content may have changed (answer caches key on it). */
  get generation(): number {
    return this.#generation;
  }

  /** isInZone says whether a (lower-case, dot-less) name is the zone's to answer. */
  isInZone(name: string): boolean {
    return name === this.domain || name.endsWith(this.#suffix) || isReverseName(name);
  }

  upsertService(svc: ZoneService): void {
    const key = objectKey(svc.metadata);
    if (!key) return;
    this.#services.set(key, svc);
    this.#rebuild(key);
  }

  deleteService(svc: ZoneService): void {
    const key = objectKey(svc.metadata);
    if (!key) return;
    this.#services.delete(key);
    this.#rebuild(key);
  }

  upsertEndpointSlice(slice: ZoneEndpointSlice): void {
    const key = sliceServiceKey(slice);
    if (!key) return;
    let byName = this.#slices.get(key);
    if (!byName) this.#slices.set(key, (byName = new Map()));
    byName.set(slice.metadata?.name ?? '', slice);
    this.#rebuild(key);
  }

  deleteEndpointSlice(slice: ZoneEndpointSlice): void {
    const key = sliceServiceKey(slice);
    if (!key) return;
    const byName = this.#slices.get(key);
    byName?.delete(slice.metadata?.name ?? '');
    if (byName?.size === 0) this.#slices.delete(key);
    this.#rebuild(key);
  }

  /** lookup answers a question; `name` in any case, with or without the trailing dot. */
  lookup(rawName: string, type: string): ZoneAnswer {
    const name = rawName.toLowerCase().replace(/\.$/, '');
    if (!this.isInZone(name)) return { kind: 'notAuthoritative' };
    const byType = this.#names.get(name);
    if (byType) {
      const exact = byType.get(type);
      if (exact && exact.length > 0) return { kind: 'answer', answers: exact };
      const cname = byType.get('CNAME');
      if (cname && cname.length > 0) return { kind: 'answer', answers: cname };
      if (type === 'ANY') return { kind: 'answer', answers: [...byType.values()].flat() };
      return { kind: 'nodata', authority: [this.#soa] };
    }
    if (this.#exists.has(name)) return { kind: 'nodata', authority: [this.#soa] };
    const pod = this.#podRecord(name);
    if (pod) return pod.type === type || type === 'ANY' ? { kind: 'answer', answers: [pod] } : { kind: 'nodata', authority: [this.#soa] };
    if (isReverseName(name)) return { kind: 'notAuthoritative' };
    return { kind: 'nxdomain', authority: [this.#soa] };
  }

  /** `a-b-c-d.<ns>.pod.D` → A a.b.c.d (and dashed IPv6 with `--` for `::`), else undefined. */
  #podRecord(name: string): ZoneRecord | undefined {
    const podSuffix = `.pod${this.#suffix}`;
    if (!name.endsWith(podSuffix)) return undefined;
    const labels = name.slice(0, -podSuffix.length).split('.');
    if (labels.length !== 2 || !labels[0] || !labels[1]) return undefined;
    const v4 = labels[0].replace(/-/g, '.');
    if (isIP(v4) === 4) return { name, type: 'A', ttl: this.ttl, data: v4 };
    const v6 = labels[0].replace(/-/g, ':');
    if (isIP(v6) === 6) return { name, type: 'AAAA', ttl: this.ttl, data: v6 };
    return undefined;
  }

  #rebuild(key: string): void {
    this.#remove(key);
    const svc = this.#services.get(key);
    if (svc) {
      const { records, ancestors } = this.#serviceRecords(svc, [...(this.#slices.get(key)?.values() ?? [])]);
      this.#add(key, records, ancestors);
    }
    this.#generation++;
  }

  #serviceRecords(svc: ZoneService, slices: readonly ZoneEndpointSlice[]): { records: ZoneRecord[]; ancestors: string[] } {
    const ns = (svc.metadata?.namespace ?? '').toLowerCase();
    const base = `${(svc.metadata?.name ?? '').toLowerCase()}.${ns}.svc${this.#suffix}`;
    const ttl = this.ttl;
    const records: ZoneRecord[] = [];
    const ancestors = [`${ns}.svc${this.#suffix}`];
    const spec = svc.spec ?? {};
    if (spec.type === 'ExternalName') {
      if (spec.externalName) records.push({ name: base, type: 'CNAME', ttl, data: spec.externalName.toLowerCase().replace(/\.$/, '') });
      return { records, ancestors };
    }
    const clusterIPs = (spec.clusterIPs && spec.clusterIPs.length > 0 ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : []).filter((ip) => isIP(ip) !== 0);
    const headless = spec.clusterIP === 'None';
    if (!headless) {
      for (const ip of clusterIPs) {
        records.push(addressRecord(base, ip, ttl));
        records.push({ name: reverseName(ip), type: 'PTR', ttl, data: base });
      }
      for (const p of spec.ports ?? []) {
        if (!p.name || p.port === undefined) continue;
        const srv = `_${p.name.toLowerCase()}._${(p.protocol ?? 'TCP').toLowerCase()}.${base}`;
        records.push({ name: srv, type: 'SRV', ttl, data: { priority: 0, weight: 100, port: p.port, target: base } });
        ancestors.push(srv.slice(srv.indexOf('.') + 1));
      }
      // With no cluster IP yet the name still exists (NODATA, not NXDOMAIN).
      if (records.length === 0) ancestors.push(base);
      return { records, ancestors };
    }
    const seen = new Set<string>();
    for (const slice of slices) {
      for (const e of slice.endpoints ?? []) {
        if (e.conditions?.ready === false && !spec.publishNotReadyAddresses) continue;
        for (const ip of e.addresses ?? []) {
          if (isIP(ip) === 0) continue;
          const label = e.hostname ? e.hostname.toLowerCase() : ip.replace(/[.:]/g, '-');
          const host = `${label}.${base}`;
          const id = `${host} ${ip}`;
          if (seen.has(id)) continue;
          seen.add(id);
          records.push(addressRecord(base, ip, ttl), addressRecord(host, ip, ttl), { name: reverseName(ip), type: 'PTR', ttl, data: host });
          for (const p of slice.ports ?? []) {
            if (!p.name || p.port === undefined || p.port === null) continue;
            const srv = `_${p.name.toLowerCase()}._${(p.protocol ?? 'TCP').toLowerCase()}.${base}`;
            records.push({ name: srv, type: 'SRV', ttl, data: { priority: 0, weight: 100, port: p.port, target: host } });
            ancestors.push(srv.slice(srv.indexOf('.') + 1));
          }
        }
      }
    }
    // A headless Service with no ready endpoint exists all the same.
    ancestors.push(base);
    return { records, ancestors };
  }

  #add(owner: string, records: readonly ZoneRecord[], extraNames: readonly string[]): void {
    const ancestors = new Set<string>();
    for (const r of records) {
      let byType = this.#names.get(r.name);
      if (!byType) this.#names.set(r.name, (byType = new Map()));
      const list = byType.get(r.type);
      if (list) list.push(r);
      else byType.set(r.type, [r]);
      if (r.type !== 'PTR') for (const a of this.#ancestorsOf(r.name)) ancestors.add(a);
    }
    for (const n of extraNames) for (const a of [n, ...this.#ancestorsOf(n)]) ancestors.add(a);
    for (const a of ancestors) this.#exists.set(a, (this.#exists.get(a) ?? 0) + 1);
    this.#owned.set(owner, { records, ancestors: [...ancestors] });
  }

  #remove(owner: string): void {
    const owned = this.#owned.get(owner);
    if (!owned) return;
    this.#owned.delete(owner);
    for (const r of owned.records) {
      const byType = this.#names.get(r.name);
      const list = byType?.get(r.type);
      if (!byType || !list) continue;
      const i = list.indexOf(r);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) byType.delete(r.type);
      if (byType.size === 0) this.#names.delete(r.name);
    }
    for (const a of owned.ancestors) {
      const n = (this.#exists.get(a) ?? 1) - 1;
      if (n <= 0) this.#exists.delete(a);
      else this.#exists.set(a, n);
    }
  }

  /** The names between `name` (exclusive) and the zone apex (inclusive). */
  #ancestorsOf(name: string): string[] {
    const out: string[] = [];
    let n = name;
    while (n !== this.domain && n.length > this.domain.length) {
      const dot = n.indexOf('.');
      if (dot < 0) break;
      n = n.slice(dot + 1);
      out.push(n);
    }
    return out;
  }
}

function objectKey(meta: { name?: string; namespace?: string } | undefined): string | undefined {
  if (!meta?.name) return undefined;
  return `${meta.namespace ?? ''}/${meta.name}`;
}

function sliceServiceKey(slice: ZoneEndpointSlice): string | undefined {
  const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  if (!service || !slice.metadata?.name) return undefined;
  return `${slice.metadata.namespace ?? ''}/${service}`;
}

function addressRecord(name: string, ip: string, ttl: number): ZoneRecord {
  return { name, type: isIP(ip) === 6 ? 'AAAA' : 'A', ttl, data: ip };
}

/** isReverseName: the name is under in-addr.arpa or ip6.arpa. */
export function isReverseName(name: string): boolean {
  return name.endsWith('.in-addr.arpa') || name.endsWith('.ip6.arpa');
}

/** reverseName is an address's PTR name: 10.43.0.10 → 10.0.43.10.in-addr.arpa; IPv6 by nibbles under ip6.arpa. */
export function reverseName(ip: string): string {
  if (isIP(ip) === 4) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  return `${expandIPv6(ip).split('').reverse().join('.')}.ip6.arpa`;
}

/** expandIPv6 writes an IPv6 address as 32 hex digits. */
function expandIPv6(ip: string): string {
  const [head = '', tail] = ip.toLowerCase().split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => g.padStart(4, '0')).join('');
}
