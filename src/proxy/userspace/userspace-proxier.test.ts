/**
 * The userspace proxy on loopback, no root: HTTP, raw TCP and UDP endpoints in this process, hand-made snapshots.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer as createHttpServer, get, type Server as HttpServer } from 'node:http';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../base/clock/clock.js';
import type { Logger } from '../../base/log/logger.js';
import type { ProxyEndpoint, ProxyServicePort, ProxySnapshot } from '../proxy-state.js';
import { EndpointChooser } from './endpoint-chooser.js';
import { defaultAddressFor, UserspaceProxier } from './userspace-proxier.js';

function ep(port: number, extra: Partial<ProxyEndpoint> = {}): ProxyEndpoint {
  return { ip: '127.0.0.1', port, ready: true, serving: true, terminating: false, isLocal: true, ...extra };
}

function svc(name: string, endpoints: ProxyEndpoint[], extra: Partial<ProxyServicePort> = {}): ProxyServicePort {
  return {
    key: `default/${name}:`, namespace: 'default', name, portName: '', protocol: 'TCP', clusterIPs: ['10.96.0.50'], port: 80,
    externalIPs: [], loadBalancerIPs: [], externalTrafficPolicyLocal: false, internalTrafficPolicyLocal: false, endpoints, ...extra,
  };
}

function snap(...servicePorts: ProxyServicePort[]): ProxySnapshot {
  return { nodeName: 'n1', nodeIPs: ['127.0.0.1'], clusterCidr: '10.244.0.0/16', servicePorts };
}

function listen(s: Server | HttpServer): Promise<number> {
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
}

function freePort(): Promise<number> {
  const s = createServer();
  return listen(s).then((p) => new Promise((resolve) => s.close(() => resolve(p))));
}

/** fetchText GETs http://127.0.0.1:port/ on a fresh connection and resolves with the body or the error code. */
function fetchText(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve) => {
    const req = get({ host, port, path: '/', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve(body));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

async function fetchMany(port: number, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await fetchText(port));
  return out;
}

function udpAsk(port: number, text: string, from?: UdpSocket): Promise<string> {
  const s = from ?? createSocket('udp4');
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no UDP reply within 3 s')), 3000);
    s.once('message', (m) => {
      clearTimeout(t);
      if (!from) s.close();
      resolve(m.toString());
    });
    s.send(text, port, '127.0.0.1');
  });
}

void describe('UserspaceProxier', () => {
  const servers: (Server | HttpServer)[] = [];
  let udpEcho: UdpSocket;
  const web: number[] = [];
  let udpPort = 0;
  let halfClose = 0;

  before(async () => {
    for (const name of ['a', 'b', 'c']) {
      const s = createHttpServer((_req, res) => res.end(name));
      servers.push(s);
      web.push(await listen(s));
    }
    // Replies only after the client's FIN: proves half-close is passed on.
    const hc = createServer({ allowHalfOpen: true }, (s) => {
      let got = '';
      s.on('data', (d) => (got += d.toString()));
      s.on('end', () => s.end(`got:${got}`));
    });
    servers.push(hc);
    halfClose = await listen(hc);
    udpEcho = createSocket('udp4');
    udpEcho.on('message', (m, r) => udpEcho.send(`echo:${m.toString()}@${r.port}`, r.port, r.address));
    await new Promise<void>((resolve) => udpEcho.bind(0, '127.0.0.1', resolve));
    udpPort = udpEcho.address().port;
  });

  after(() => {
    for (const s of servers) s.close();
    udpEcho.close();
  });

  void it('spreads connections over every endpoint, follows readiness, and keeps its listener across syncs', async () => {
    const p = new UserspaceProxier();
    try {
      await p.sync(snap(svc('web', web.map((port) => ep(port)))));
      const [l] = p.listeners();
      assert.ok(l);
      assert.equal(l.host, '127.0.0.1', 'the cluster IP is not local, so loopback');
      assert.deepEqual(p.serviceAddress('default', 'web', 80, 'TCP'), { host: '127.0.0.1', port: l.port });
      assert.equal(p.serviceAddress('default', 'web', 81, 'TCP'), undefined);
      assert.deepEqual((await fetchMany(l.port, 6)).sort(), ['a', 'a', 'b', 'b', 'c', 'c']);

      await p.sync(snap(svc('web', web.map((port, i) => ep(port, { ready: i !== 2 })))));
      assert.equal(p.listeners()[0]?.port, l.port, 'same listener');
      assert.deepEqual(new Set(await fetchMany(l.port, 6)), new Set(['a', 'b']));
    } finally {
      await p.cleanup();
    }
  });

  void it('skips an endpoint that refuses, and resets clients when there is none', async () => {
    const p = new UserspaceProxier();
    try {
      const dead = await freePort();
      await p.sync(snap(svc('web', [ep(dead), ep(web[0]!)])));
      const port = p.listeners()[0]!.port;
      assert.deepEqual(await fetchMany(port, 4), ['a', 'a', 'a', 'a']);
      await p.sync(snap(svc('web', [])));
      assert.equal(await fetchText(port), 'ECONNRESET');
    } finally {
      await p.cleanup();
    }
  });

  void it('keeps a client on one endpoint with sessionAffinity ClientIP', async () => {
    const p = new UserspaceProxier();
    try {
      await p.sync(snap(svc('web', web.map((port) => ep(port)), { sessionAffinitySeconds: 60 })));
      const got = await fetchMany(p.listeners()[0]!.port, 6);
      assert.equal(new Set(got).size, 1, `one endpoint (got ${got.join(',')})`);
    } finally {
      await p.cleanup();
    }
  });

  void it('passes half-closes on and keeps established streams when endpoints change', async () => {
    const p = new UserspaceProxier();
    try {
      await p.sync(snap(svc('hc', [ep(halfClose)])));
      const port = p.listeners()[0]!.port;
      const s = connect(port, '127.0.0.1');
      await new Promise((r) => s.once('connect', r));
      s.write('hello ');
      // An endpoint change while the stream is open: the stream stays.
      await p.sync(snap(svc('hc', [ep(halfClose), ep(web[0]!)])));
      s.end('world');
      let reply = '';
      s.on('data', (d) => (reply += d.toString()));
      await new Promise((r) => s.once('close', r));
      assert.equal(reply, 'got:hello world');
    } finally {
      await p.cleanup();
    }
  });

  void it('relays UDP per client session and ends idle sessions', async () => {
    const clock = new FakeClock();
    const p = new UserspaceProxier({ clock, udpIdleTimeoutMs: 10_000 });
    const client = createSocket('udp4');
    try {
      await p.sync(snap(svc('dns', [ep(udpPort)], { protocol: 'UDP', port: 53 })));
      const l = p.listeners()[0]!;
      assert.equal(l.protocol, 'UDP');
      const [one, from1] = (await udpAsk(l.port, 'one', client)).split('@');
      assert.equal(one, 'echo:one');
      const [two, from2] = (await udpAsk(l.port, 'two', client)).split('@');
      assert.equal(two, 'echo:two');
      assert.equal(from2, from1, 'one session: the endpoint sees one source port');
      const [three, from3] = (await udpAsk(l.port, 'three')).split('@');
      assert.equal(three, 'echo:three');
      assert.notEqual(from3, from1, 'a second client gets its own session');
      clock.advance(5_000);
      assert.equal((await udpAsk(l.port, 'still', client)).split('@')[1], from1, 'traffic keeps the session alive');
      clock.advance(10_001);
      const [again, from4] = (await udpAsk(l.port, 'again', client)).split('@');
      assert.equal(again, 'echo:again');
      assert.notEqual(from4, from1, 'a new session after the idle one ended');
    } finally {
      client.close();
      await p.cleanup();
    }
  });

  void it('skips a UDP endpoint whose port is closed and delivers the datagram to the next one', async () => {
    const p = new UserspaceProxier();
    try {
      const dead = await freePort();
      await p.sync(snap(svc('dns', [ep(dead), ep(udpPort)], { protocol: 'UDP', port: 53 })));
      const port = p.listeners()[0]!.port;
      for (const text of ['a', 'b', 'c']) assert.equal((await udpAsk(port, text)).split('@')[0], `echo:${text}`);
    } finally {
      await p.cleanup();
    }
  });

  void it('closes the listener of a removed service and opens NodePorts with externalTrafficPolicy', async () => {
    const p = new UserspaceProxier({ nodePortAddresses: ['127.0.0.1'] });
    try {
      const nodePort = await freePort();
      const remote = { ...ep(web[1]!), isLocal: false };
      await p.sync(snap(svc('web', [ep(web[0]!), remote], { nodePort, externalTrafficPolicyLocal: true }), svc('other', [ep(web[2]!)])));
      const kinds = p.listeners().map((l) => `${l.name}/${l.kind}`);
      assert.deepEqual(kinds.sort(), ['other/ClusterIP', 'web/ClusterIP', 'web/NodePort']);
      assert.deepEqual(new Set(await fetchMany(nodePort, 4)), new Set(['a']), 'NodePort traffic only to the local endpoint');
      const clusterPort = p.serviceAddress('default', 'web', 80, 'TCP')!.port;
      assert.deepEqual(new Set(await fetchMany(clusterPort, 4)), new Set(['a', 'b']), 'cluster traffic to both');

      await p.sync(snap(svc('other', [ep(web[2]!)])));
      assert.deepEqual(p.listeners().map((l) => l.name), ['other']);
      assert.equal(await fetchText(clusterPort), 'ECONNREFUSED');
      assert.equal(await fetchText(nodePort), 'ECONNREFUSED');
    } finally {
      await p.cleanup();
    }
    assert.deepEqual(p.listeners(), []);
  });

  void it('admits only loadBalancerSourceRanges clients on a local load-balancer address', async () => {
    const port = await freePort();
    const p = new UserspaceProxier({ nodePortAddresses: [] });
    try {
      await p.sync(snap(svc('lb', [ep(web[0]!)], { port, loadBalancerIPs: ['127.0.0.1'], loadBalancerSourceRanges: ['192.0.2.0/24'] })));
      assert.ok(p.listeners().some((l) => l.kind === 'LoadBalancer' && l.port === port));
      assert.notEqual(await fetchText(port), 'a', 'a client outside the ranges is cut');
      const clusterPort = p.serviceAddress('default', 'lb', port, 'TCP')!.port;
      assert.equal(await fetchText(clusterPort), 'a', 'the cluster IP is not filtered');
      // The ranges change: the same listener admits the next client.
      await p.sync(snap(svc('lb', [ep(web[0]!)], { port, loadBalancerIPs: ['127.0.0.1'], loadBalancerSourceRanges: ['127.0.0.0/8'] })));
      assert.equal(await fetchText(port), 'a');
    } finally {
      await p.cleanup();
    }
  });

  void it('lets the first of two nodes sharing an address serve a NodePort; the other logs once and takes over when free', async () => {
    const nodePort = await freePort();
    const warnings: string[] = [];
    const infos: string[] = [];
    const log: Logger = { debug: () => undefined, info: (m) => void infos.push(m), warn: (m) => void warnings.push(m), error: () => undefined, child: () => log };
    const first = new UserspaceProxier({ nodePortAddresses: ['127.0.0.1'] });
    const second = new UserspaceProxier({ nodePortAddresses: ['127.0.0.1'], log });
    try {
      await first.sync(snap(svc('web', [ep(web[0]!)], { nodePort })));
      await second.sync(snap(svc('web', [ep(web[1]!)], { nodePort })));
      await second.sync(snap(svc('web', [ep(web[1]!)], { nodePort })));
      assert.deepEqual(second.unserved(), [{ servicePort: 'default/web:', kind: 'NodePort', host: '127.0.0.1', port: nodePort, protocol: 'TCP', reason: 'in use' }]);
      assert.equal(warnings.filter((w) => w.includes('port in use')).length, 1, 'one line, not one per sync');
      assert.ok(second.listeners().some((l) => l.kind === 'ClusterIP'), 'the rest of the Service is served');
      assert.equal(await fetchText(nodePort), 'a');
      await first.cleanup();
      await second.sync(snap(svc('web', [ep(web[1]!)], { nodePort })));
      assert.deepEqual(second.unserved(), []);
      assert.equal(infos.filter((m) => m.includes('now serves')).length, 1);
      assert.equal(await fetchText(nodePort), 'b');
    } finally {
      await first.cleanup();
      await second.cleanup();
    }
  });

  void it('listens on the cluster IP and service port when the cluster IP is local, and reports a port in use', async () => {
    const port = await freePort();
    const p = new UserspaceProxier({ addressFor: defaultAddressFor(() => new Set(['127.0.0.5'])) });
    const blocker = new UserspaceProxier({ addressFor: () => ({ host: '127.0.0.5', port }) });
    try {
      await p.sync(snap(svc('web', [ep(web[0]!)], { clusterIPs: ['127.0.0.5'], port })));
      assert.deepEqual(p.serviceAddress('default', 'web', port, 'TCP'), { host: '127.0.0.5', port });
      assert.equal(await fetchText(port, '127.0.0.5'), 'a');
      await assert.rejects(blocker.sync(snap(svc('web', [ep(web[0]!)]))), /Cannot open userspace proxy listeners: default\/web: ClusterIP on 127\.0\.0\.5:\d+\/TCP/);
      assert.deepEqual(blocker.listeners(), []);
      // Once the address is free, the next sync opens it.
      await p.cleanup();
      await blocker.sync(snap(svc('web', [ep(web[1]!)])));
      assert.equal(await fetchText(port, '127.0.0.5'), 'b');
    } finally {
      await p.cleanup();
      await blocker.cleanup();
    }
  });
});

void describe('EndpointChooser', () => {
  void it('rotates, pins with affinity until it expires, and forgets endpoints that left', () => {
    const clock = new FakeClock();
    const c = new EndpointChooser(clock);
    const [a, b, d] = [ep(1), ep(2), ep(3)];
    c.update([a, b, d], undefined);
    assert.deepEqual([c.candidates('x')[0], c.candidates('x')[0], c.candidates('x')[0], c.candidates('x')[0]].map((e) => e?.port), [1, 2, 3, 1]);
    c.update([a, b, d], 10);
    c.reached('x', d);
    assert.equal(c.candidates('x')[0]?.port, 3);
    assert.equal(c.candidates('x')[0]?.port, 3);
    assert.deepEqual(c.candidates('x').map((e) => e.port).sort(), [1, 2, 3], 'the others follow as fall-backs');
    clock.advance(10_001);
    const next = c.candidates('x')[0]?.port;
    assert.equal(c.candidates('x')[0]?.port !== next, true, 'affinity expired: round robin again');
    c.reached('y', b);
    c.update([a, d], 10);
    assert.notEqual(c.candidates('y')[0]?.port, 2);
    c.update([], 10);
    assert.deepEqual(c.candidates('y'), []);
  });
});
