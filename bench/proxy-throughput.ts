// Service proxy throughput (issue 7): one TCP stream through a Service address vs the same stream to the endpoint
// directly, in the same run.
// Run: node --import tsx bench/proxy-throughput.ts [--mb 200] [--rounds 5] [--only iptables|userspace]
//   userspace: a sink process on 127.0.0.1, a client process streaming --mb MiB; direct vs through the
//              UserspaceProxier running in this process (the proxy copies every byte in JavaScript).
//   iptables:  (root only) two network namespaces made for the run, a "node" and a "pod" joined by a veth pair:
//              the sink in the pod, the client on the node streaming to the cluster IP (IptablesProxier's DNAT in
//              the node namespace) vs to the pod IP.
// Each figure is the median MiB/s of --rounds streams, direct and proxied rounds alternating. Prints one JSON line;
// `iptables.ratio` is the ClusterIP-vs-pod-IP figure (target ≥ 0.9), `userspace.ratio` is recorded beside it.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

import { numberArg } from './bench-args.js';
import { IptablesProxier } from '../src/proxy/iptables/iptables-proxier.js';
import type { ProxySnapshot } from '../src/proxy/proxy-state.js';
import { UserspaceProxier } from '../src/proxy/userspace/userspace-proxier.js';

const MB = numberArg('--mb', 200);
const ROUNDS = numberArg('--rounds', 5);

/** The sink: accepts streams, counts bytes, answers the count when the client has finished sending. */
const SINK = `
const net = require('node:net');
const [host, port] = process.argv.slice(1);
net.createServer({ allowHalfOpen: true }, (s) => {
  let n = 0;
  s.on('data', (d) => (n += d.length));
  s.on('end', () => s.end(String(n)));
}).listen(Number(port), host, function () { console.log(this.address().port); });`;

/** The client: streams MB MiB in 64 KiB writes, then waits for the sink's count; prints the elapsed ms. */
const CLIENT = `
const net = require('node:net');
const [host, port, mb] = process.argv.slice(1);
const chunk = Buffer.alloc(64 * 1024, 97);
const total = Number(mb) * 16;
const t0 = process.hrtime.bigint();
const s = net.connect(Number(port), host, () => {
  let i = 0;
  const pump = () => { while (i < total) { i++; if (!s.write(chunk)) return s.once('drain', pump); } s.end(); };
  pump();
});
let reply = '';
s.on('data', (d) => (reply += d));
s.on('end', () => {
  if (Number(reply) !== total * chunk.length) { console.error('short stream: ' + reply); process.exit(1); }
  console.log(Number(process.hrtime.bigint() - t0) / 1e6);
});
s.on('error', (e) => { console.error(e.message); process.exit(1); });`;

function wrap(netns: string | undefined, args: string[]): [string, string[]] {
  return netns === undefined ? [process.execPath, args] : ['ip', ['netns', 'exec', netns, process.execPath, ...args]];
}

/** startSink starts the sink (in `netns` when given) and resolves with the process and its port. */
function startSink(host: string, netns?: string): Promise<{ child: ChildProcess; port: number }> {
  const [cmd, args] = wrap(netns, ['-e', SINK, host, '0']);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout?.once('data', (d: Buffer) => resolve({ child, port: Number(d.toString().trim()) }));
    child.once('exit', (code) => reject(new Error(`sink exited with ${code}`)));
  });
}

/** stream runs one client stream and returns MiB/s. */
function stream(host: string, port: number, netns?: string): number {
  const [cmd, args] = wrap(netns, ['-e', CLIENT, host, String(port), String(MB)]);
  const ms = Number(execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim());
  return MB / (ms / 1000);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** compare alternates direct and proxied streams and returns both medians and their ratio. */
function compare(direct: () => number, proxied: () => number): { directMiBps: number; proxiedMiBps: number; ratio: number } {
  const d: number[] = [];
  const p: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    d.push(direct());
    p.push(proxied());
  }
  const directMiBps = Math.round(median(d));
  const proxiedMiBps = Math.round(median(p));
  return { directMiBps, proxiedMiBps, ratio: Number((median(p) / median(d)).toFixed(2)) };
}

function snapshot(clusterIP: string, endpointIP: string, endpointPort: number): ProxySnapshot {
  return {
    nodeName: 'bench', nodeIPs: [], clusterCidr: '10.244.0.0/16',
    servicePorts: [{
      key: 'default/sink:', namespace: 'default', name: 'sink', portName: '', protocol: 'TCP', clusterIPs: [clusterIP], port: 80,
      externalIPs: [], loadBalancerIPs: [], externalTrafficPolicyLocal: false, internalTrafficPolicyLocal: false,
      endpoints: [{ ip: endpointIP, port: endpointPort, ready: true, serving: true, terminating: false, isLocal: true }],
    }],
  };
}

async function userspace(): Promise<Record<string, number>> {
  const sink = await startSink('127.0.0.1');
  const proxier = new UserspaceProxier();
  try {
    await proxier.sync(snapshot('10.96.200.1', '127.0.0.1', sink.port));
    const at = proxier.serviceAddress('default', 'sink', 80, 'TCP');
    if (!at) throw new Error('the userspace proxy opened no listener');
    // The proxy copies in this process while the benchmark waits in execFileSync: run the client asynchronously.
    const proxied = await asyncStreams(at.host, at.port);
    const direct = await asyncStreams('127.0.0.1', sink.port);
    const directMiBps = Math.round(median(direct));
    const proxiedMiBps = Math.round(median(proxied));
    return { directMiBps, proxiedMiBps, ratio: Number((median(proxied) / median(direct)).toFixed(2)) };
  } finally {
    await proxier.cleanup();
    sink.child.kill('SIGKILL');
  }
}

/** asyncStreams runs ROUNDS client streams one after another without blocking this process's event loop. */
async function asyncStreams(host: string, port: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const child = spawn(process.execPath, ['-e', CLIENT, host, String(port), String(MB)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (text += d));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    if (code !== 0) throw new Error(`client exited with ${code}`);
    out.push(MB / (Number(text.trim()) / 1000));
  }
  return out;
}

async function iptables(): Promise<Record<string, number> | { skipped: string }> {
  if (process.getuid?.() !== 0) return { skipped: 'needs root' };
  // Two namespaces, a node and a pod, joined by a veth pair: the client (on the node) reaches the pod the same way
  // (and with the same MTU) directly and through the cluster IP, so the difference is the DNAT alone.
  const id = randomBytes(3).toString('hex');
  const node = `tkube-b-${id}-n`;
  const pod = `tkube-b-${id}-p`;
  const inNs = (ns: string, ...args: string[]): string => execFileSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8' });
  const proxier = new IptablesProxier({ nodeName: 'bench', netns: node });
  let sink: { child: ChildProcess; port: number } | undefined;
  execFileSync('ip', ['netns', 'add', node]);
  execFileSync('ip', ['netns', 'add', pod]);
  try {
    inNs(node, 'ip', 'link', 'set', 'lo', 'up');
    inNs(pod, 'ip', 'link', 'set', 'lo', 'up');
    inNs(node, 'ip', 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod);
    inNs(node, 'ip', 'addr', 'add', '10.99.0.1/24', 'dev', 'veth0');
    inNs(node, 'ip', 'link', 'set', 'veth0', 'up');
    inNs(pod, 'ip', 'addr', 'add', '10.99.0.2/24', 'dev', 'eth0');
    inNs(pod, 'ip', 'link', 'set', 'eth0', 'up');
    inNs(node, 'ip', 'route', 'add', '10.96.0.0/12', 'dev', 'veth0');
    sink = await startSink('10.99.0.2', pod);
    await proxier.sync(snapshot('10.96.200.1', '10.99.0.2', sink.port));
    const port = sink.port;
    return compare(() => stream('10.99.0.2', port, node), () => stream('10.96.200.1', 80, node));
  } finally {
    await proxier.cleanup().catch(() => undefined);
    sink?.child.kill('SIGKILL');
    execFileSync('ip', ['netns', 'del', pod]);
    execFileSync('ip', ['netns', 'del', node]);
  }
}

const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined;
const result = {
  mb: MB,
  rounds: ROUNDS,
  ...(only === undefined || only === 'iptables' ? { iptables: await iptables() } : {}),
  ...(only === undefined || only === 'userspace' ? { userspace: await userspace() } : {}),
};
console.log(JSON.stringify(result));
