import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClusterDnsZone, reverseName, type ZoneAnswer, type ZoneEndpointSlice, type ZoneService } from './cluster-dns-zone.js';

const svc = (name: string, spec: ZoneService['spec'], namespace = 'default'): ZoneService => ({ metadata: { name, namespace }, spec });
const slice = (service: string, name: string, endpoints: NonNullable<ZoneEndpointSlice['endpoints']>, ports: ZoneEndpointSlice['ports'] = [], namespace = 'default'): ZoneEndpointSlice => ({
  metadata: { name, namespace, labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  endpoints,
  ports,
});
const data = (a: ZoneAnswer): unknown[] => (a.kind === 'answer' ? a.answers.map((r) => r.data) : []);

describe('ClusterDnsZone', () => {
  it('answers a ClusterIP Service with A, SRV for named ports and PTR', () => {
    const z = new ClusterDnsZone();
    z.upsertService(svc('web', { clusterIP: '10.43.0.20', clusterIPs: ['10.43.0.20'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { port: 81 }] }));
    assert.deepEqual(data(z.lookup('web.default.svc.cluster.local', 'A')), ['10.43.0.20']);
    assert.deepEqual(data(z.lookup('WEB.Default.svc.cluster.local.', 'A')), ['10.43.0.20']);
    assert.deepEqual(data(z.lookup('_http._tcp.web.default.svc.cluster.local', 'SRV')), [{ priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' }]);
    assert.deepEqual(data(z.lookup(reverseName('10.43.0.20'), 'PTR')), ['web.default.svc.cluster.local']);
    assert.equal(reverseName('10.43.0.20'), '20.0.43.10.in-addr.arpa');
  });

  it('tells NODATA from NXDOMAIN and puts the SOA in authority', () => {
    const z = new ClusterDnsZone({ ttlSeconds: 5 });
    z.upsertService(svc('web', { clusterIP: '10.43.0.20', ports: [{ name: 'http', port: 80 }] }));
    const nodata = z.lookup('web.default.svc.cluster.local', 'AAAA');
    assert.equal(nodata.kind, 'nodata');
    assert.equal(nodata.kind === 'nodata' && nodata.authority[0]?.type, 'SOA');
    assert.equal(nodata.kind === 'nodata' && nodata.authority[0]?.ttl, 5);
    for (const ent of ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local', '_tcp.web.default.svc.cluster.local']) assert.equal(z.lookup(ent, 'A').kind, 'nodata', ent);
    assert.equal(z.lookup('cluster.local', 'SOA').kind, 'answer');
    for (const nx of ['nope.default.svc.cluster.local', 'web.other.svc.cluster.local', 'x.web.default.svc.cluster.local', 'google.com.default.svc.cluster.local']) assert.equal(z.lookup(nx, 'A').kind, 'nxdomain', nx);
    assert.equal(z.lookup('example.com', 'A').kind, 'notAuthoritative');
    assert.equal(z.lookup('9.9.9.9.in-addr.arpa', 'PTR').kind, 'notAuthoritative');
    z.deleteService(svc('web', {}));
    assert.equal(z.lookup('web.default.svc.cluster.local', 'A').kind, 'nxdomain');
    assert.equal(z.lookup('default.svc.cluster.local', 'A').kind, 'nxdomain');
    assert.equal(z.lookup(reverseName('10.43.0.20'), 'PTR').kind, 'notAuthoritative');
  });

  it('answers a headless Service with one record per ready endpoint, hostnames and SRV', () => {
    const z = new ClusterDnsZone();
    z.upsertService(svc('web', { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] }));
    assert.equal(z.lookup('web.default.svc.cluster.local', 'A').kind, 'nodata');
    z.upsertEndpointSlice(
      slice('web', 'web-abc', [
        { addresses: ['10.42.0.5'], hostname: 'web-0', conditions: { ready: true } },
        { addresses: ['10.42.0.6'], hostname: 'web-1', conditions: { ready: true } },
        { addresses: ['10.42.0.7'], conditions: { ready: false } },
        { addresses: ['10.42.0.8'], conditions: {} },
      ], [{ name: 'http', port: 8080, protocol: 'TCP' }]),
    );
    assert.deepEqual(data(z.lookup('web.default.svc.cluster.local', 'A')).sort(), ['10.42.0.5', '10.42.0.6', '10.42.0.8']);
    assert.deepEqual(data(z.lookup('web-0.web.default.svc.cluster.local', 'A')), ['10.42.0.5']);
    assert.deepEqual(data(z.lookup('10-42-0-8.web.default.svc.cluster.local', 'A')), ['10.42.0.8']);
    assert.equal(z.lookup('10-42-0-7.web.default.svc.cluster.local', 'A').kind, 'nxdomain');
    const srv = data(z.lookup('_http._tcp.web.default.svc.cluster.local', 'SRV')) as { target: string; port: number }[];
    assert.deepEqual(srv.map((s) => `${s.target}:${s.port}`).sort(), ['10-42-0-8.web.default.svc.cluster.local:8080', 'web-0.web.default.svc.cluster.local:8080', 'web-1.web.default.svc.cluster.local:8080']);
    assert.deepEqual(data(z.lookup(reverseName('10.42.0.6'), 'PTR')), ['web-1.web.default.svc.cluster.local']);
    // Readiness changes move records; deleting the slice empties the name but keeps it.
    z.upsertEndpointSlice(slice('web', 'web-abc', [{ addresses: ['10.42.0.5'], hostname: 'web-0', conditions: { ready: false } }]));
    assert.equal(z.lookup('web-0.web.default.svc.cluster.local', 'A').kind, 'nxdomain');
    z.upsertService(svc('web', { clusterIP: 'None', publishNotReadyAddresses: true }));
    assert.deepEqual(data(z.lookup('web-0.web.default.svc.cluster.local', 'A')), ['10.42.0.5']);
    z.deleteEndpointSlice(slice('web', 'web-abc', []));
    assert.equal(z.lookup('web.default.svc.cluster.local', 'A').kind, 'nodata');
  });

  it('keeps slices that arrive before their Service', () => {
    const z = new ClusterDnsZone();
    z.upsertEndpointSlice(slice('db', 'db-1', [{ addresses: ['10.42.1.1'], conditions: { ready: true } }]));
    assert.equal(z.lookup('db.default.svc.cluster.local', 'A').kind, 'nxdomain');
    z.upsertService(svc('db', { clusterIP: 'None' }));
    assert.deepEqual(data(z.lookup('db.default.svc.cluster.local', 'A')), ['10.42.1.1']);
  });

  it('answers an ExternalName Service with a CNAME for every type', () => {
    const z = new ClusterDnsZone();
    z.upsertService(svc('ext', { type: 'ExternalName', externalName: 'Example.COM.' }));
    for (const t of ['A', 'AAAA', 'CNAME']) {
      const a = z.lookup('ext.default.svc.cluster.local', t);
      assert.equal(a.kind === 'answer' && a.answers[0]?.type, 'CNAME');
      assert.deepEqual(data(a), ['example.com']);
    }
  });

  it('synthesizes pod A records from dashed names', () => {
    const z = new ClusterDnsZone({ domain: 'corp.local' });
    assert.deepEqual(data(z.lookup('10-42-0-9.team.pod.corp.local', 'A')), ['10.42.0.9']);
    assert.equal(z.lookup('10-42-0-9.team.pod.corp.local', 'AAAA').kind, 'nodata');
    assert.equal(z.lookup('10-42-0.team.pod.corp.local', 'A').kind, 'nxdomain');
    assert.equal(z.lookup('pod.corp.local', 'A').kind, 'nodata');
  });

  it('serves IPv6 cluster IPs as AAAA with ip6.arpa PTR', () => {
    const z = new ClusterDnsZone();
    z.upsertService(svc('v6', { clusterIP: 'fd00::a', clusterIPs: ['fd00::a'] }));
    assert.deepEqual(data(z.lookup('v6.default.svc.cluster.local', 'AAAA')), ['fd00::a']);
    const ptr = reverseName('fd00::a');
    assert.ok(ptr.startsWith('a.0.0.0.') && ptr.endsWith('.0.0.d.f.ip6.arpa'), ptr);
    assert.deepEqual(data(z.lookup(ptr, 'PTR')), ['v6.default.svc.cluster.local']);
  });

  it('answers a dual-stack Service with A and AAAA, and a dual-stack headless one from both slices of its pods', () => {
    const z = new ClusterDnsZone();
    z.upsertService(svc('dual', { clusterIP: '10.43.0.21', clusterIPs: ['10.43.0.21', 'fd00:43::21'] }));
    assert.deepEqual(data(z.lookup('dual.default.svc.cluster.local', 'A')), ['10.43.0.21']);
    assert.deepEqual(data(z.lookup('dual.default.svc.cluster.local', 'AAAA')), ['fd00:43::21']);
    z.upsertService(svc('hl', { clusterIP: 'None', clusterIPs: ['None'] }));
    z.upsertEndpointSlice(slice('hl', 'hl-4', [{ addresses: ['10.42.0.7'], hostname: 'web-0', conditions: { ready: true } }]));
    z.upsertEndpointSlice({ ...slice('hl', 'hl-6', [{ addresses: ['fd00:42::7'], hostname: 'web-0', conditions: { ready: true } }]), addressType: 'IPv6' });
    assert.deepEqual(data(z.lookup('hl.default.svc.cluster.local', 'A')), ['10.42.0.7']);
    assert.deepEqual(data(z.lookup('hl.default.svc.cluster.local', 'AAAA')), ['fd00:42::7']);
    assert.deepEqual(data(z.lookup('web-0.hl.default.svc.cluster.local', 'AAAA')), ['fd00:42::7']);
    assert.deepEqual(data(z.lookup('fd00-42--7.default.pod.cluster.local', 'AAAA')), ['fd00:42::7']);
  });

  it('moves the generation on every change', () => {
    const z = new ClusterDnsZone();
    const g = z.generation;
    z.upsertService(svc('a', { clusterIP: '10.43.0.30' }));
    assert.notEqual(z.generation, g);
  });
});
