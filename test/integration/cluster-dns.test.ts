/**
 * Cluster DNS through real kubectl: `tkube server` runs the DNS server in-process (on a free port here,
 * `--cluster-dns-port 0`), publishes the `kube-system/kube-dns` Service at the DNS service IP, and answers the
 * records of Services kubectl creates: ClusterIP A, SRV, PTR, a headless StatefulSet's per-pod names, ExternalName
 * CNAMEs, NXDOMAIN, over UDP and TCP. Without a node the server writes the Service's EndpointSlice itself; with
 * a node (process runtime) it shows a mirror pod `kube-dns-<node>` that the endpoints controller selects, and puts
 * it back when deleted. No query leaves loopback: names outside the cluster domain are never asked.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type * as packet from 'dns-packet';
import { BUSYBOX_PATH } from '../../src/agent/images/builtin-images.js';
import { query } from '../../src/dns/testing/dns-query.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const HOST = '127.0.0.1';

interface SliceJson {
  metadata: { name: string; labels?: Record<string, string> };
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[];
  ports?: { name: string; port: number; protocol: string }[];
}

const rcode = (p: packet.DecodedPacket): string => (p as unknown as { rcode: string }).rcode;
const addresses = (p: packet.DecodedPacket): string[] => (p.answers ?? []).filter((a) => a.type === 'A').map((a) => (a as packet.StringAnswer).data).sort();

/** dnsPort reads the cluster DNS port from the kube-dns EndpointSlices, as a service proxy would. */
async function dnsEndpoint(c: TestCluster): Promise<{ address: string; port: number; slice: SliceJson }> {
  return eventually(async () => {
    const r = await c.kubectl(['get', 'endpointslices', '-n', 'kube-system', '-l', 'kubernetes.io/service-name=kube-dns', '-o', 'json']);
    if (r.code !== 0) return undefined;
    for (const slice of (JSON.parse(r.stdout) as { items: SliceJson[] }).items) {
      const port = slice.ports?.find((p) => p.name === 'dns' && p.protocol === 'UDP')?.port;
      const address = slice.endpoints?.find((e) => e.conditions?.ready !== false)?.addresses[0];
      if (port && address) return { address, port, slice };
    }
    return undefined;
  }, 30_000);
}

void describe('cluster DNS without a node', () => {
  let c: TestCluster;
  let port = 0;
  const ns = ['-n', 'default'];

  before(async () => {
    c = await TestCluster.start({ args: ['--simulated-nodes', '1', '--cluster-dns-metrics-port', '0'] });
    const ep = await dnsEndpoint(c);
    port = ep.port;
    assert.equal(ep.address, HOST);
    assert.equal(ep.slice.metadata.labels?.['endpointslice.kubernetes.io/managed-by'], 'tkube-server');
  });
  after(async () => {
    await c?.stop();
  });

  it('publishes kube-dns in kube-system at the 10th service address and answers its own name', async () => {
    const svc = await c.kubectlOk(['get', 'svc', 'kube-dns', '-n', 'kube-system']);
    assert.match(svc, /kube-dns\s+ClusterIP\s+10\.43\.0\.10\s+<none>\s+53\/UDP,53\/TCP,9153\/TCP/);
    const labels = await c.kubectlOk(['get', 'svc', 'kube-dns', '-n', 'kube-system', '-o', 'jsonpath={.metadata.labels}']);
    assert.match(labels, /"k8s-app":"kube-dns"/);
    const r = await query(HOST, port, 'kube-dns.kube-system.svc.cluster.local', 'A');
    assert.deepEqual(addresses(r), ['10.43.0.10']);
    const ptr = await query(HOST, port, '10.0.43.10.in-addr.arpa', 'PTR');
    assert.equal((ptr.answers?.[0] as packet.StringAnswer | undefined)?.data, 'kube-dns.kube-system.svc.cluster.local');
    // DNS metrics: in the server's /metrics, and on the metrics port the kube-dns slice names (CoreDNS's 9153).
    assert.match(await c.kubectlOk(['get', '--raw', '/metrics']), /^coredns_dns_requests_total\{[^}]*type="A"\} [1-9]/m);
    const metricsPort = (await dnsEndpoint(c)).slice.ports?.find((p) => p.name === 'metrics')?.port;
    assert.ok(metricsPort, 'the kube-dns slice carries the metrics port');
    const text = await (await fetch(`http://${HOST}:${metricsPort}/metrics`)).text();
    assert.match(text, /^coredns_dns_responses_total\{[^}]*rcode="NOERROR",plugin="kubernetes"\} [1-9]/m);
    assert.match(text, /^coredns_dns_request_duration_seconds_bucket\{[^}]*type="PTR"[^}]*\} [1-9]/m);
  });

  it('answers a ClusterIP Service with A, SRV and PTR over UDP and TCP, and forgets it when deleted', async () => {
    await c.kubectlOk(['create', 'service', 'clusterip', 'web', '--tcp=80:8080', ...ns]);
    const ip = await c.kubectlOk(['get', 'svc', 'web', ...ns, '-o', 'jsonpath={.spec.clusterIP}']);
    for (const transport of ['udp', 'tcp'] as const) {
      const r = await eventually(async () => {
        const a = await query(HOST, port, 'web.default.svc.cluster.local', 'A', { transport });
        return addresses(a).length > 0 ? a : undefined;
      });
      assert.equal(r.flag_aa, true);
      assert.deepEqual(addresses(r), [ip]);
    }
    // `kubectl create service` names the port "80-8080".
    const srv = await query(HOST, port, '_80-8080._tcp.web.default.svc.cluster.local', 'SRV');
    assert.deepEqual((srv.answers?.[0] as packet.SrvAnswer | undefined)?.data, { priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' });
    const ptr = await query(HOST, port, `${ip.split('.').reverse().join('.')}.in-addr.arpa`, 'PTR');
    assert.equal((ptr.answers?.[0] as packet.StringAnswer | undefined)?.data, 'web.default.svc.cluster.local');
    await c.kubectlOk(['delete', 'service', 'web', ...ns]);
    await eventually(async () => rcode(await query(HOST, port, 'web.default.svc.cluster.local', 'A')) === 'NXDOMAIN');
  });

  it('answers a headless StatefulSet Service per ready pod, with the pods\' stable names', async () => {
    const manifest = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: 'default' }, spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432 }] } },
        {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          metadata: { name: 'db', namespace: 'default' },
          spec: {
            serviceName: 'db',
            replicas: 2,
            selector: { matchLabels: { app: 'db' } },
            template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'pg', image: 'postgres:16', ports: [{ name: 'pg', containerPort: 5432 }] }] } },
          },
        },
      ],
    };
    await c.kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(manifest) });
    const podIPs = await eventually(async () => {
      const out = await c.kubectlOk(['get', 'pods', ...ns, '-l', 'app=db', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.podIP} {end}']);
      const pairs = out.trim().split(/\s+/).filter((p) => /=\d/.test(p));
      return pairs.length === 2 ? Object.fromEntries(pairs.map((p) => p.split('='))) as Record<string, string> : undefined;
    }, 60_000);
    const all = await eventually(async () => {
      const r = await query(HOST, port, 'db.default.svc.cluster.local', 'A');
      return addresses(r).length === 2 ? r : undefined;
    }, 60_000);
    assert.deepEqual(addresses(all), Object.values(podIPs).sort());
    const db0 = await query(HOST, port, 'db-0.db.default.svc.cluster.local', 'A');
    assert.deepEqual(addresses(db0), [podIPs['db-0']]);
    const srv = await query(HOST, port, '_pg._tcp.db.default.svc.cluster.local', 'SRV');
    assert.deepEqual((srv.answers ?? []).map((a) => (a as packet.SrvAnswer).data.target).sort(), ['db-0.db.default.svc.cluster.local', 'db-1.db.default.svc.cluster.local']);
    const ptr = await query(HOST, port, `${(podIPs['db-1'] ?? '').split('.').reverse().join('.')}.in-addr.arpa`, 'PTR');
    assert.equal((ptr.answers?.[0] as packet.StringAnswer | undefined)?.data, 'db-1.db.default.svc.cluster.local');
  });

  it('answers ExternalName with a CNAME, and NXDOMAIN or NODATA with the SOA', async () => {
    await c.kubectlOk(['create', 'service', 'externalname', 'ext', '--external-name', 'db.example.test', ...ns]);
    const cname = await eventually(async () => {
      const r = await query(HOST, port, 'ext.default.svc.cluster.local', 'CNAME');
      return r.answers?.length ? r : undefined;
    });
    assert.equal((cname.answers?.[0] as packet.StringAnswer).data, 'db.example.test');
    const nx = await query(HOST, port, 'nope.default.svc.cluster.local', 'A', { transport: 'tcp' });
    assert.equal(rcode(nx), 'NXDOMAIN');
    assert.equal(nx.authorities?.[0]?.type, 'SOA');
    const nodata = await query(HOST, port, 'kube-dns.kube-system.svc.cluster.local', 'AAAA');
    assert.equal(rcode(nodata), 'NOERROR');
    assert.equal(nodata.answers?.length, 0);
    // Pod names are synthesized from the address.
    assert.deepEqual(addresses(await query(HOST, port, '10-42-7-9.default.pod.cluster.local', 'A')), ['10.42.7.9']);
  });
});

void describe('cluster DNS with a node', { skip: existsSync(BUSYBOX_PATH) ? false : 'needs busybox-static' }, () => {
  let c: TestCluster;
  const node = `tkube-dns-${process.pid}`;

  before(async () => {
    c = await TestCluster.start({ agent: true, args: ['--container-runtime', 'process', '--node-name', node, '--service-cidr', '10.44.0.0/16', '--cluster-dns', '10.44.0.53'] });
  });
  after(async () => {
    await c?.stop();
  });

  it('shows a Running mirror pod kube-dns-<node> that the Service selects', async () => {
    const pod = `kube-dns-${node}`;
    await eventually(async () => /Running/.test((await c.kubectl(['get', 'pods', '-n', 'kube-system', pod])).stdout), 30_000);
    const listing = await c.kubectlOk(['get', 'svc,pods', '-n', 'kube-system']);
    assert.match(listing, /service\/kube-dns\s+ClusterIP\s+10\.44\.0\.53\s/);
    assert.match(listing, new RegExp(`pod/${pod}\\s+1/1\\s+Running`));
    const annotations = await c.kubectlOk(['get', 'pod', pod, '-n', 'kube-system', '-o', 'jsonpath={.metadata.annotations}']);
    assert.match(annotations, /kubernetes\.io\/config\.mirror/);
    const ep = await dnsEndpoint(c);
    assert.equal(ep.slice.metadata.labels?.['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
    assert.equal(ep.address, HOST);
    assert.deepEqual(addresses(await query(HOST, ep.port, 'kube-dns.kube-system.svc.cluster.local', 'A')), ['10.44.0.53']);
  });

  it('puts the mirror pod back when it is deleted', async () => {
    const pod = `kube-dns-${node}`;
    const uid = await c.kubectlOk(['get', 'pod', pod, '-n', 'kube-system', '-o', 'jsonpath={.metadata.uid}']);
    await c.kubectlOk(['delete', 'pod', pod, '-n', 'kube-system', '--wait=false']);
    await eventually(async () => {
      const r = await c.kubectl(['get', 'pod', pod, '-n', 'kube-system', '-o', 'jsonpath={.metadata.uid} {.status.phase}']);
      return r.code === 0 && !r.stdout.startsWith(uid) && r.stdout.endsWith('Running');
    }, 40_000);
  });
});
