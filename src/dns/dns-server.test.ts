import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { createConnection } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as packet from 'dns-packet';
import { newLogger } from '../base/log/logger.js';
import { ClusterDnsZone } from './cluster-dns-zone.js';
import { DnsMetrics, questionTypeOf } from './dns-metrics.js';
import { DnsServer } from './dns-server.js';
import { encodeQuery, query, sendRaw } from './testing/dns-query.js';

/** A fake upstream resolver on loopback: `answer` decides the reply (undefined = stay silent); it records the names asked. */
async function fakeUpstream(answer: (q: packet.DecodedPacket) => packet.Packet | undefined): Promise<{ port: number; seen: string[]; close(): void }> {
  const socket: Socket = createSocket('udp4');
  const seen: string[] = [];
  socket.on('message', (msg, rinfo) => {
    const q = packet.decode(msg);
    seen.push(q.questions?.[0]?.name ?? '');
    const reply = answer(q);
    if (reply) socket.send(packet.encode({ type: 'response', id: q.id ?? 0, questions: q.questions ?? [], ...reply }), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, seen, close: () => socket.close() };
}

const rcode = (p: packet.DecodedPacket): string => (p as unknown as { rcode: string }).rcode;

describe('DnsServer', () => {
  const zone = new ClusterDnsZone();
  let server: DnsServer;
  let upstream: Awaited<ReturnType<typeof fakeUpstream>>;
  let port = 0;
  const host = '127.0.0.1';

  before(async () => {
    upstream = await fakeUpstream((q) => (q.questions?.[0]?.name === 'nowhere.test' ? undefined : { answers: [{ type: 'A', name: q.questions?.[0]?.name ?? '', ttl: 60, data: '192.0.2.1' }] }));
    zone.upsertService({ metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.43.0.20', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
    zone.upsertService({ metadata: { name: 'ext', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'example.test' } });
    zone.upsertService({ metadata: { name: 'big', namespace: 'default' }, spec: { clusterIP: 'None' } });
    zone.upsertEndpointSlice({
      metadata: { name: 'big-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'big' } },
      endpoints: Array.from({ length: 60 }, (_, i) => ({ addresses: [`10.42.1.${i + 1}`], conditions: { ready: true } })),
    });
    server = new DnsServer({ zone, address: host, port: 0, upstreams: [{ host, port: upstream.port }], upstreamTimeoutMs: 300, log: newLogger('dns-test') });
    port = await server.start();
  });
  after(async () => {
    await server?.stop();
    upstream?.close();
  });

  it('answers a Service A record authoritatively over UDP and TCP', async () => {
    for (const transport of ['udp', 'tcp'] as const) {
      const r = await query(host, port, 'Web.default.svc.cluster.local', 'A', { transport });
      assert.equal(rcode(r), 'NOERROR');
      assert.equal(r.flag_aa, true);
      assert.equal(r.flag_rd, true);
      assert.deepEqual(r.answers?.map((a) => [a.name, a.type, 'data' in a ? a.data : undefined, 'ttl' in a ? a.ttl : undefined]), [['Web.default.svc.cluster.local', 'A', '10.43.0.20', 30]]);
    }
  });

  it('answers the same question again from its cache with the new ID', async () => {
    const msg = encodeQuery('web.default.svc.cluster.local', 'A', {}, 4242);
    const first = await sendRaw(host, port, msg);
    msg.writeUInt16BE(777, 0);
    const second = await sendRaw(host, port, msg);
    assert.ok(first && second);
    assert.equal(second.readUInt16BE(0), 777);
    assert.deepEqual(second.subarray(2), first.subarray(2));
    // A zone change is seen at once.
    zone.upsertService({ metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.43.0.21', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
    const third = await query(host, port, 'web.default.svc.cluster.local', 'A');
    assert.equal((third.answers?.[0] as packet.StringAnswer).data, '10.43.0.21');
  });

  it('answers SRV and PTR', async () => {
    const srv = await query(host, port, '_http._tcp.web.default.svc.cluster.local', 'SRV');
    assert.deepEqual((srv.answers?.[0] as packet.SrvAnswer).data, { priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' });
    assert.deepEqual(srv.additionals?.filter((a) => a.type === 'A').map((a) => [a.name, (a as packet.StringAnswer).data]), [['web.default.svc.cluster.local', '10.43.0.21']]);
    const ptr = await query(host, port, '21.0.43.10.in-addr.arpa', 'PTR');
    assert.equal((ptr.answers?.[0] as packet.StringAnswer).data, 'web.default.svc.cluster.local');
  });

  it('answers NXDOMAIN and NODATA with the SOA in authority', async () => {
    const nx = await query(host, port, 'nope.default.svc.cluster.local', 'A');
    assert.equal(rcode(nx), 'NXDOMAIN');
    assert.equal(nx.authorities?.[0]?.type, 'SOA');
    const nodata = await query(host, port, 'web.default.svc.cluster.local', 'AAAA');
    assert.equal(rcode(nodata), 'NOERROR');
    assert.equal(nodata.answers?.length, 0);
    assert.equal(nodata.authorities?.[0]?.type, 'SOA');
  });

  it('follows an ExternalName CNAME to the upstream for A', async () => {
    const r = await query(host, port, 'ext.default.svc.cluster.local', 'A');
    assert.deepEqual(r.answers?.map((a) => a.type), ['CNAME', 'A']);
    assert.equal((r.answers?.[0] as packet.StringAnswer).data, 'example.test');
    assert.equal((r.answers?.[1] as packet.StringAnswer).data, '192.0.2.1');
  });

  it('follows an ExternalName CNAME that points into the zone without asking upstream', async () => {
    zone.upsertService({ metadata: { name: 'alias', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'web.default.svc.cluster.local' } });
    const before = upstream.seen.length;
    const r = await query(host, port, 'alias.default.svc.cluster.local', 'A');
    assert.deepEqual(r.answers?.map((a) => [a.name, a.type]), [['alias.default.svc.cluster.local', 'CNAME'], ['web.default.svc.cluster.local', 'A']]);
    assert.equal(upstream.seen.length, before);
  });

  it('answers SERVFAIL for outside names when it has no upstream at all', async () => {
    const lonely = new DnsServer({ zone, address: host, port: 0, upstreams: [], log: newLogger('dns-test') });
    const p = await lonely.start();
    try {
      assert.equal(rcode(await query(host, p, 'example.org', 'A')), 'SERVFAIL');
    } finally {
      await lonely.stop();
    }
  });

  it('forwards other names to the upstream and answers SERVFAIL when it stays silent', async () => {
    const r = await query(host, port, 'example.org', 'A');
    assert.equal(rcode(r), 'NOERROR');
    assert.equal((r.answers?.[0] as packet.StringAnswer).data, '192.0.2.1');
    assert.ok(upstream.seen.includes('example.org'));
    const tcp = await query(host, port, 'example.net', 'A', { transport: 'tcp' });
    assert.equal((tcp.answers?.[0] as packet.StringAnswer).data, '192.0.2.1');
    const fail = await query(host, port, 'nowhere.test', 'A');
    assert.equal(rcode(fail), 'SERVFAIL');
    assert.equal(fail.questions?.[0]?.name, 'nowhere.test');
    // Unknown reverse names are forwarded too (fallthrough).
    await query(host, port, '9.9.9.9.in-addr.arpa', 'PTR');
    assert.ok(upstream.seen.includes('9.9.9.9.in-addr.arpa'));
  });

  it('answers a TCP client that shut its side down after asking (half-close)', async () => {
    const socket = createConnection({ host, port });
    const query = encodeQuery('example.org', 'A');
    const len = Buffer.alloc(2);
    len.writeUInt16BE(query.length);
    const reply = await new Promise<Buffer>((resolve, reject) => {
      let buf = Buffer.alloc(0);
      socket.on('connect', () => socket.end(Buffer.concat([len, query])));
      socket.on('data', (c: Buffer) => (buf = Buffer.concat([buf, c])));
      socket.on('end', () => resolve(buf));
      socket.on('error', reject);
    });
    socket.destroy();
    const decoded = packet.decode(reply.subarray(2));
    assert.equal((decoded.answers?.[0] as packet.StringAnswer).data, '192.0.2.1');
  });

  it('truncates a large UDP answer, honours EDNS sizes and answers it whole over TCP', async () => {
    const udp = await query(host, port, 'big.default.svc.cluster.local', 'A');
    assert.equal(udp.flag_tc, true);
    assert.equal(udp.answers?.length, 0);
    const edns = await query(host, port, 'big.default.svc.cluster.local', 'A', { ednsUdpSize: 4096 });
    assert.equal(edns.flag_tc, false);
    assert.equal(edns.answers?.length, 60);
    assert.ok(edns.additionals?.some((a) => a.type === 'OPT'));
    const tcp = await query(host, port, 'big.default.svc.cluster.local', 'A', { transport: 'tcp' });
    assert.equal(tcp.flag_tc, false);
    assert.equal(tcp.answers?.length, 60);
  });

  it('answers malformed input FORMERR or drops it, and keeps serving', async () => {
    // Too short for a header: dropped.
    assert.equal(await sendRaw(host, port, Buffer.from([1, 2, 3]), { timeoutMs: 300 }), undefined);
    // A header claiming a question that is not there.
    const bad = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0xff]);
    const formerr = await sendRaw(host, port, bad);
    assert.ok(formerr);
    assert.equal(formerr.readUInt16BE(0), 0x1234);
    assert.equal(formerr[3]! & 0x0f, 1);
    // No question at all.
    const none = await sendRaw(host, port, Buffer.from([0, 9, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    assert.equal((none?.[3] ?? 0) & 0x0f, 1);
    // A response is never answered.
    const response = encodeQuery('web.default.svc.cluster.local', 'A');
    response[2] = response[2]! | 0x80;
    assert.equal(await sendRaw(host, port, response, { timeoutMs: 300 }), undefined);
    // Another opcode (status): NOTIMP.
    const status = encodeQuery('web.default.svc.cluster.local', 'A');
    status[2] = (status[2]! & 0x87) | (2 << 3);
    const notimp = await sendRaw(host, port, status);
    assert.equal((notimp?.[3] ?? 0) & 0x0f, 4);
    // Garbage over TCP, then a good query on a new connection.
    assert.equal(await sendRaw(host, port, Buffer.from([0xde, 0xad]), { transport: 'tcp', timeoutMs: 300 }), undefined);
    const ok = await query(host, port, 'web.default.svc.cluster.local', 'A', { transport: 'tcp' });
    assert.equal(rcode(ok), 'NOERROR');
  });

  it('counts queries by type and rcode, their latency, cache hits and forwards in CoreDNS\'s metric families', async () => {
    const metrics = new DnsMetrics();
    const counted = new DnsServer({ zone, address: host, port: 0, upstreams: [{ host, port: upstream.port }], upstreamTimeoutMs: 300, metrics, log: newLogger('dns-test') });
    const p = await counted.start();
    try {
      await query(host, p, 'web.default.svc.cluster.local', 'A');
      await query(host, p, 'web.default.svc.cluster.local', 'A'); // the answer cache
      await query(host, p, 'nope.default.svc.cluster.local', 'AAAA');
      await query(host, p, '_http._tcp.web.default.svc.cluster.local', 'SRV', { transport: 'tcp' });
      await query(host, p, 'example.org', 'A');
      const text = await metrics.render();
      const server = `server="dns://127.0.0.1:${p}"`;
      const value = (re: RegExp): number => Number(re.exec(text)?.[1] ?? NaN);
      assert.equal(value(new RegExp(`^coredns_dns_requests_total\\{${server},zone=".",view="",proto="udp",family="1",type="A"\\} (\\d+)$`, 'm')), 3);
      assert.equal(value(new RegExp(`^coredns_dns_requests_total\\{${server},zone=".",view="",proto="tcp",family="1",type="SRV"\\} (\\d+)$`, 'm')), 1);
      assert.equal(value(/^coredns_dns_responses_total\{[^}]*rcode="NXDOMAIN",plugin="kubernetes"\} (\d+)$/m), 1);
      assert.equal(value(/^coredns_dns_responses_total\{[^}]*rcode="NOERROR",plugin="kubernetes"\} (\d+)$/m), 3);
      assert.equal(value(/^coredns_dns_responses_total\{[^}]*rcode="NOERROR",plugin="forward"\} (\d+)$/m), 1);
      assert.equal(value(/^coredns_dns_request_duration_seconds_count\{[^}]*type="A"\} (\d+)$/m), 3);
      assert.equal(value(/^coredns_cache_hits_total\{[^}]*type="success"[^}]*\} (\d+)$/m), 1);
      assert.equal(value(/^coredns_cache_misses_total\{[^}]*\} (\d+)$/m), 4);
      assert.equal(value(new RegExp(`^coredns_forward_requests_total\\{to="127\\.0\\.0\\.1:${upstream.port}"\\} (\\d+)$`, 'm')), 1);
    } finally {
      await counted.stop();
    }
  });

  it('reports a clear error when the port is taken', async () => {
    const other = new DnsServer({ zone, address: host, port, upstreams: [], log: newLogger('dns-test') });
    await assert.rejects(other.start(), /Cannot listen for DNS on 127\.0\.0\.1:\d+\/udp: the port is in use/);
  });
});

describe('DnsMetrics', () => {
  it('reads the question type from the raw message', () => {
    assert.equal(questionTypeOf(encodeQuery('a.b', 'SRV')), 'SRV');
    assert.equal(questionTypeOf(encodeQuery('a.b', 'AAAA')), 'AAAA');
    assert.equal(questionTypeOf(encodeQuery('a.b', 'CAA')), 'other');
    assert.equal(questionTypeOf(Buffer.from([1, 2, 3])), 'other');
  });
});
