/**
 * IptablesProxier against real iptables (nf_tables backend) inside a network namespace the test makes: a veth
 * device carries the "node" address and two "endpoint" addresses, each served by a tiny TCP server started in the
 * namespace. Connections to the cluster IP and the NodePort reach the endpoints; changing the snapshot moves the
 * traffic; no endpoint → refused; session affinity sticks; cleanup leaves no chain of ours. The same over IPv6 with
 * a second proxier (ip6tables, a dual-stack node's IPv6 one). Needs root.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { commandExists } from '../harness/host-tools.js';
import { eventually } from '../harness/test-cluster.js';
import type { ProxyEndpoint, ProxyServicePort, ProxySnapshot } from '../../src/proxy/proxy-state.js';
import { IptablesProxier } from '../../src/proxy/iptables/iptables-proxier.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : !commandExists('iptables-restore') ? 'needs iptables' : false;
const ns = `tkube-t-${randomBytes(3).toString('hex')}`;
const NODE_IP = '10.99.0.1';
const EP_A = '10.99.0.2';
const EP_B = '10.99.0.3';
const CLUSTER_IP = '10.96.7.7';
const NODE_IP6 = 'fd99:7::1';
const EP_A6 = 'fd99:7::2';
const EP_B6 = 'fd99:7::3';
const CLUSTER_IP6 = 'fd43:7::7';

function inNs(...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8' });
}

function ep(ip: string): ProxyEndpoint {
  return { ip, port: 8080, ready: true, serving: true, terminating: false, isLocal: true };
}

function snapshot(endpoints: ProxyEndpoint[], extra: Partial<ProxyServicePort> = {}): ProxySnapshot {
  return {
    nodeName: 'node-a',
    nodeIPs: [NODE_IP],
    clusterCidr: '10.244.0.0/16',
    servicePorts: [{
      key: 'default/web:', namespace: 'default', name: 'web', portName: '', protocol: 'TCP', clusterIPs: [CLUSTER_IP], port: 80, nodePort: 30080,
      externalIPs: [], loadBalancerIPs: [], externalTrafficPolicyLocal: false, internalTrafficPolicyLocal: false, endpoints, ...extra,
    }],
  };
}

/** connectMany opens `n` connections from inside the namespace and returns what each one read (or its error code). */
function connectMany(host: string, port: number, n: number): string[] {
  const script = `
    const net = require('node:net');
    (async () => {
      const out = [];
      for (let i = 0; i < ${n}; i++) {
        out.push(await new Promise((res) => {
          const s = net.connect(${port}, '${host}');
          let d = '';
          s.setTimeout(${n === 1 ? 1500 : 3000}, () => { s.destroy(); res('timeout'); });
          s.on('data', (b) => (d += b));
          s.on('end', () => res(d));
          s.on('error', (e) => res(e.code));
        }));
      }
      console.log(JSON.stringify(out));
    })();`;
  return JSON.parse(inNs(process.execPath, '-e', script)) as string[];
}

void describe('IptablesProxier in a network namespace', { skip }, () => {
  const servers: ChildProcess[] = [];
  const proxier = new IptablesProxier({ nodeName: 'node-a', netns: ns });
  const proxier6 = new IptablesProxier({ nodeName: 'node-a', netns: ns, family: 'IPv6' });

  before(async () => {
    execFileSync('ip', ['netns', 'add', ns]);
    inNs('ip', 'link', 'set', 'lo', 'up');
    // A veth pair inside the namespace stands for the node's interface (this kernel has no dummy device).
    inNs('ip', 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1');
    inNs('ip', 'link', 'set', 'veth1', 'up');
    for (const ip of [NODE_IP, EP_A, EP_B]) inNs('ip', 'addr', 'add', `${ip}/24`, 'dev', 'veth0');
    for (const ip of [NODE_IP6, EP_A6, EP_B6]) inNs('ip', 'addr', 'add', `${ip}/64`, 'dev', 'veth0', 'nodad');
    inNs('ip', 'link', 'set', 'veth0', 'up');
    // Locally generated packets are routed before the nat OUTPUT hook rewrites them: the service range needs a route.
    inNs('ip', 'route', 'add', '10.96.0.0/12', 'dev', 'veth0');
    inNs('ip', '-6', 'route', 'add', 'fd43:7::/112', 'dev', 'veth0');
    for (const [ip, ip6] of [[EP_A, EP_A6], [EP_B, EP_B6]] as const) {
      const script = `
        const net = require('node:net');
        const u = require('node:dgram').createSocket('udp4');
        u.on('message', (m, r) => u.send('${ip}', r.port, r.address));
        net.createServer((s) => s.end('${ip6}')).listen(8080, '${ip6}');
        u.bind(5353, '${ip}', () => net.createServer((s) => s.end('${ip}')).listen(8080, '${ip}', () => console.log('up')));`;
      const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      servers.push(child);
      await new Promise<void>((resolve, reject) => {
        child.stdout?.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`endpoint server ${ip} exited with ${code}`)));
      });
    }
  });

  after(async () => {
    try {
      await proxier.cleanup();
      await proxier6.cleanup();
    } finally {
      for (const s of servers) if (s.pid !== undefined && s.exitCode === null) s.kill('SIGKILL');
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });

  void it('sends cluster-IP and NodePort connections to the endpoints and follows snapshot changes', async () => {
    await proxier.sync(snapshot([ep(EP_A), ep(EP_B)]));
    const seen = connectMany(CLUSTER_IP, 80, 30);
    assert.deepEqual(new Set(seen), new Set([EP_A, EP_B]), `both endpoints answer (got ${seen.join(',')})`);
    const viaNodePort = connectMany(NODE_IP, 30080, 6);
    assert.ok(viaNodePort.every((s) => s === EP_A || s === EP_B), `NodePort reaches the endpoints (got ${viaNodePort.join(',')})`);
    // NodePorts answer on 127.0.0.1 too (route_localnet, as upstream's localhost NodePorts).
    const viaLocalhost = connectMany('127.0.0.1', 30080, 4);
    assert.ok(viaLocalhost.every((s) => s === EP_A || s === EP_B), `NodePort on 127.0.0.1 reaches the endpoints (got ${viaLocalhost.join(',')})`);
    assert.equal(inNs('sysctl', '-n', 'net.ipv4.conf.all.route_localnet').trim(), '1');


    // Unchanged snapshot: no restore, same rules.
    const before = inNs('iptables-save', '-t', 'nat').replace(/^#.*$/gm, '');
    await proxier.sync(snapshot([ep(EP_A), ep(EP_B)]));
    assert.equal(inNs('iptables-save', '-t', 'nat').replace(/^#.*$/gm, ''), before);

    // One endpoint left (its chain for B is deleted).
    await proxier.sync(snapshot([ep(EP_A)]));
    assert.deepEqual(new Set(connectMany(CLUSTER_IP, 80, 10)), new Set([EP_A]));
    assert.equal(inNs('iptables-save', '-t', 'nat').split('\n').filter((l) => l.startsWith(`:${proxier.chainPrefix}-SEP-`)).length, 1);

    // Not ready: no endpoint → rejected, not hanging.
    await proxier.sync(snapshot([{ ...ep(EP_A), ready: false }]));
    assert.deepEqual(new Set(connectMany(CLUSTER_IP, 80, 2)), new Set(['ECONNREFUSED']));
    assert.deepEqual(new Set(connectMany(NODE_IP, 30080, 2)), new Set(['ECONNREFUSED']));

    // Session affinity: one client goes to one endpoint.
    await proxier.sync(snapshot([ep(EP_A), ep(EP_B)], { sessionAffinitySeconds: 60 }));
    assert.equal(new Set(connectMany(CLUSTER_IP, 80, 12)).size, 1);

    // loadBalancerSourceRanges: the LB address (the node's) admits only clients in the ranges; the node itself is
    // 10.99.0.1 here. The cluster IP is not filtered.
    await proxier.sync(snapshot([ep(EP_A)], { loadBalancerIPs: [NODE_IP], loadBalancerSourceRanges: ['10.99.0.0/28'] }));
    assert.deepEqual(connectMany(NODE_IP, 80, 2), [EP_A, EP_A]);
    await proxier.sync(snapshot([ep(EP_A)], { loadBalancerIPs: [NODE_IP], loadBalancerSourceRanges: ['192.0.2.0/24'] }));
    assert.deepEqual(connectMany(NODE_IP, 80, 1), ['timeout'], 'a client outside the ranges is dropped');
    assert.deepEqual(connectMany(CLUSTER_IP, 80, 1), [EP_A]);
  });

  void it('moves a UDP client to the remaining endpoint at once when its endpoint leaves (conntrack entries deleted)', { skip: !commandExists('conntrack') && 'needs conntrack' }, async () => {
    const udp = (endpoints: ProxyEndpoint[]): ProxySnapshot => ({
      ...snapshot([]),
      servicePorts: [{
        key: 'default/dns:dns', namespace: 'default', name: 'dns', portName: 'dns', protocol: 'UDP', clusterIPs: ['10.96.7.10'], port: 53,
        externalIPs: [], loadBalancerIPs: [], externalTrafficPolicyLocal: false, internalTrafficPolicyLocal: false, endpoints: endpoints.map((e) => ({ ...e, port: 5353 })),
      }],
    });
    // One client address and port throughout, so every datagram belongs to the same conntrack flow.
    const ask = (): string => inNs(process.execPath, '-e', `
      const u = require('node:dgram').createSocket('udp4');
      const t = setTimeout(() => { console.log('timeout'); process.exit(0); }, 3000);
      u.on('message', (m) => { console.log(m.toString()); clearTimeout(t); u.close(); });
      u.bind(40053, '${NODE_IP}', () => u.send('q', 53, '10.96.7.10'));`).trim();
    await proxier.sync(udp([ep(EP_A)]));
    assert.equal(ask(), EP_A);
    assert.equal(ask(), EP_A);
    await proxier.sync(udp([ep(EP_B)]));
    assert.equal(ask(), EP_B, 'the flow to the removed endpoint was forgotten');
  });

  void it('serves IPv6 cluster IPs and NodePorts through ip6tables with an IPv6 proxier (dual-stack), and cleans them up', async () => {
    const snapshot6 = (endpoints: ProxyEndpoint[]): ProxySnapshot => {
      const base = snapshot(endpoints);
      return { ...base, nodeIPs: [NODE_IP6], clusterCidr: 'fd42::/56', family: 'IPv6', servicePorts: base.servicePorts.map((sp) => ({ ...sp, clusterIPs: [CLUSTER_IP6] })) };
    };
    await proxier6.sync(snapshot6([ep(EP_A6), ep(EP_B6)]));
    const seen = connectMany(CLUSTER_IP6, 80, 20);
    assert.deepEqual(new Set(seen), new Set([EP_A6, EP_B6]), `both endpoints answer at the IPv6 cluster IP (got ${seen.join(',')})`);
    const viaNodePort = connectMany(NODE_IP6, 30080, 4);
    assert.ok(viaNodePort.every((x) => x === EP_A6 || x === EP_B6), `the NodePort answers on the node's IPv6 address (got ${viaNodePort.join(',')})`);
    await proxier6.sync(snapshot6([]));
    assert.deepEqual(new Set(connectMany(CLUSTER_IP6, 80, 2)), new Set(['ECONNREFUSED']), 'no endpoint: refused');
    assert.ok(inNs('ip6tables-save').includes(`${proxier6.chainPrefix}-SERVICES`));
    await proxier6.cleanup();
    assert.equal(inNs('ip6tables-save').includes(`${proxier6.chainPrefix}-`), false);
  });

  void it('removes every chain and jump on cleanup, and touches nothing outside the namespace', async () => {
    await proxier.sync(snapshot([ep(EP_A)]));
    const prefix = proxier.chainPrefix;
    assert.ok(inNs('iptables-save').includes(`${prefix}-SERVICES`));
    await proxier.cleanup();
    await eventually(() => !inNs('iptables-save').includes(prefix));
    await proxier.cleanup(); // a no-op the second time
    assert.equal(execFileSync('iptables-save', { encoding: 'utf8' }).includes(`${prefix}-`), false, 'the host namespace has none of our chains');
  });
});
