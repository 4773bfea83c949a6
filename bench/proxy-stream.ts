/**
 * proxy-stream: TCP throughput through a ClusterIP programmed by the nftables proxier vs the same stream to the pod
 * IP (issue 7: ratio ≥ 0.9).
 * Run: node --import tsx bench/proxy-stream.ts [--mb 256] [--rounds 7]   (root, nft, ip; no cluster needed)
 *
 * A node of its own: network namespaces for the node (a bridge with br_netfilter on, as a tkube node has), a server
 * pod and a client pod on the bridge. The NftablesProxier programs one Service (10.43.0.100:80 → server:8080) in the
 * node namespace. The client streams `--mb` MiB to the server, alternately to the pod IP (bridged) and to the
 * ClusterIP (routed through the bridge address, DNAT); medians of `--rounds` each. Everything is removed at the end.
 */
import { execFileSync, spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { NftablesProxier } from '../src/proxy/nftables/nftables-proxier.js';
import type { ProxySnapshot } from '../src/proxy/proxy-state.js';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '256' }, rounds: { type: 'string', default: '7' } } });
const mb = Number(values.mb);
const rounds = Number(values.rounds);
const id = process.pid;
const nodeNs = `tkb-node-${id}`;
const serverNs = `tkb-srv-${id}`;
const clientNs = `tkb-cli-${id}`;
const SERVER_IP = '10.99.0.2';
const CLIENT_IP = '10.99.0.3';
const CLUSTER_IP = '10.43.0.100';

const sh = (script: string): void => void execFileSync('sh', ['-ec', script], { stdio: ['ignore', 'ignore', 'inherit'] });

/** The sink: accepts connections on 8080 and counts bytes; prints nothing (the client times the transfer). */
const SINK = `require('node:net').createServer((s) => { s.on('data', () => {}); s.on('end', () => s.end()); }).listen(8080, '0.0.0.0', () => console.log('ready'));`;
/** The source: one connection, `mb` MiB in 1 MiB writes, timed from connect until the server closed its side. */
const source = (host: string, port: number): string =>
  `const n=require('node:net');const b=Buffer.alloc(1<<20,97);const s=n.connect(${port},'${host}');let t;let left=${mb};` +
  `const w=()=>{while(left>0){left--;if(!s.write(b))return s.once('drain',w);}s.end();};` +
  `s.on('connect',()=>{t=process.hrtime.bigint();w();});s.on('data',()=>{});s.on('close',()=>{console.log(Number(process.hrtime.bigint()-t)/1e6);});s.on('error',(e)=>{console.error(e.message);process.exit(1);});`;

function streamMs(host: string, port: number): number {
  const out = execFileSync('ip', ['netns', 'exec', clientNs, process.execPath, '-e', source(host, port)]).toString().trim();
  const ms = Number(out);
  if (!Number.isFinite(ms)) throw new Error(`the client printed ${out}`);
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

sh(`
ip netns add ${nodeNs}; ip netns add ${serverNs}; ip netns add ${clientNs}
ip -n ${nodeNs} link set lo up
ip -n ${nodeNs} link add br0 type bridge
ip -n ${nodeNs} addr add 10.99.0.1/24 dev br0
ip -n ${nodeNs} link set br0 up
ip netns exec ${nodeNs} sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward; echo 1 > /proc/sys/net/bridge/bridge-nf-call-iptables'
for p in srv:${serverNs}:${SERVER_IP} cli:${clientNs}:${CLIENT_IP}; do
  n=\${p%%:*}; rest=\${p#*:}; ns=\${rest%%:*}; ip=\${rest#*:}
  ip -n ${nodeNs} link add v$n type veth peer name eth0 netns $ns
  ip -n ${nodeNs} link set v$n master br0 up
  ip -n $ns link set lo up
  ip -n $ns addr add $ip/24 dev eth0
  ip -n $ns link set eth0 up
  ip -n $ns route add default via 10.99.0.1
done
`);
const sink = spawn('ip', ['netns', 'exec', serverNs, process.execPath, '-e', SINK], { stdio: ['ignore', 'pipe', 'inherit'] });
try {
  await new Promise<void>((resolve, reject) => {
    sink.stdout.once('data', () => resolve());
    sink.once('exit', (code) => reject(new Error(`the sink exited with ${String(code)}`)));
  });
  const snapshot: ProxySnapshot = {
    nodeName: 'bench',
    nodeIPs: ['10.99.0.1'],
    clusterCidr: '10.99.0.0/24',
    servicePorts: [{ key: 'bench/stream:', namespace: 'bench', name: 'stream', portName: '', protocol: 'TCP', clusterIPs: [CLUSTER_IP], port: 80, externalIPs: [], loadBalancerIPs: [], externalTrafficPolicyLocal: false, internalTrafficPolicyLocal: false, endpoints: [{ ip: SERVER_IP, port: 8080, ready: true, serving: true, terminating: false, isLocal: true }] }],
  };
  await new NftablesProxier({ table: 'bench-stream', netns: nodeNs }).sync(snapshot);
  streamMs(SERVER_IP, 8080); // warm-up
  const direct: number[] = [];
  const viaService: number[] = [];
  for (let r = 0; r < rounds; r++) {
    direct.push(streamMs(SERVER_IP, 8080));
    viaService.push(streamMs(CLUSTER_IP, 80));
  }
  const mbps = (ms: number): number => Number(((mb * 8 * 1.048576) / (ms / 1000)).toFixed(0));
  const podMbps = mbps(median(direct));
  const serviceMbps = mbps(median(viaService));
  process.stdout.write(`${JSON.stringify({ mib: mb, rounds, podIpMbps: podMbps, clusterIpMbps: serviceMbps, ratio: Number((serviceMbps / podMbps).toFixed(3)) })}\n`);
} finally {
  sink.kill();
  sh(`ip netns del ${clientNs} || true; ip netns del ${serverNs} || true; ip netns del ${nodeNs} || true`);
}
