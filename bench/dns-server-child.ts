/**
 * The cluster DNS server alone, for bench/dns.ts: a ClusterDnsZone with N ClusterIP Services
 * (`svc-<i>.bench.svc.cluster.local`, addresses as serviceAddress(i)) served by a DnsServer on loopback, in its own
 * process as dnsmasq is in its own. No API server: the benchmark measures answering, not the informer feed.
 * Run: node --import tsx bench/dns-server-child.ts --services N
 * Prints {"port":N} once listening; exits when its parent closes stdin.
 */
import { newLogger, setLogLevel } from '../src/base/log/logger.js';
import { ClusterDnsZone } from '../src/dns/cluster-dns-zone.js';
import { DnsServer } from '../src/dns/dns-server.js';
import { serviceAddress, serviceName } from './dns-names.js';

const at = process.argv.indexOf('--services');
const services = at >= 0 ? Number(process.argv[at + 1]) : 1000;
setLogLevel('warn');
const zone = new ClusterDnsZone();
for (let i = 0; i < services; i++) {
  zone.upsertService({ metadata: { name: `svc-${i}`, namespace: 'bench' }, spec: { clusterIP: serviceAddress(i), ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
}
if (!serviceName(0).startsWith('svc-0.bench.')) throw new Error('bench names out of step');
const server = new DnsServer({ zone, address: '127.0.0.1', port: 0, upstreams: [], log: newLogger('bench-dns') });
const port = await server.start();
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.stdin.on('end', () => void server.stop().then(() => process.exit(0)));
process.stdin.resume();
