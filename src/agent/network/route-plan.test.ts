import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inCidr, planNodeRoutes, routeCommands, vtepMac, type HostRouteState, type RouteNode } from './route-plan.js';

const node = (name: string, podCidr: string | undefined, internalIP: string | undefined, extra: Partial<RouteNode> = {}): RouteNode => ({ name, podCidr, internalIP, vtepMac: undefined, simulated: false, ...extra });
const self = { name: 'a', nodeIP: '192.0.2.2', podCidr: '10.42.0.0/24' };
const empty: HostRouteState = { routes: [], vxlanDevice: false, neighbours: [], fdb: [] };
const opts = { device: 'tkube.1', mac: '02:00:00:00:00:0a', nodeIP: '192.0.2.2', podCidr: '10.42.0.0/24', clusterCidr: '10.42.0.0/16', mtu: 1450 };

void describe('planNodeRoutes', () => {
  void it('routes a node on a connected subnet through its address (host-gw)', () => {
    const plan = planNodeRoutes({ self, connected: ['192.0.2.2/24'], nodes: [node('a', '10.42.0.0/24', '192.0.2.2'), node('b', '10.42.1.0/24', '192.0.2.3')] });
    assert.deepEqual(plan.routes, [{ kind: 'host-gw', node: 'b', podCidr: '10.42.1.0/24', via: '192.0.2.3' }]);
    assert.deepEqual(plan.skipped, []);
  });

  void it('routes a node elsewhere through VXLAN once it has published its VTEP MAC', () => {
    const without = planNodeRoutes({ self, connected: ['192.0.2.2/24'], nodes: [node('c', '10.42.2.0/24', '198.51.100.7')] });
    assert.deepEqual(without.routes, []);
    assert.match(without.skipped[0]?.reason ?? '', /tkube\.io\/vtep-mac/);
    const plan = planNodeRoutes({ self, connected: ['192.0.2.2/24'], nodes: [node('c', '10.42.2.0/24', '198.51.100.7', { vtepMac: '0A:11:22:33:44:55' })] });
    assert.deepEqual(plan.routes, [{ kind: 'vxlan', node: 'c', podCidr: '10.42.2.0/24', vtep: '10.42.2.0', mac: '0a:11:22:33:44:55', nodeIP: '198.51.100.7' }]);
  });

  void it('leaves out simulated nodes, nodes without a podCIDR or address, loopback or shared addresses and overlapping CIDRs', () => {
    const plan = planNodeRoutes({
      self,
      connected: ['192.0.2.2/24'],
      nodes: [
        node('sim-0', '10.42.9.0/24', '192.0.2.9', { simulated: true }),
        node('d', undefined, '192.0.2.4'),
        node('e', '10.42.5.0/24', undefined),
        node('f', '10.42.6.0/24', '127.0.0.1'),
        node('g', '10.42.7.0/24', '192.0.2.2'),
        node('h', '10.42.0.0/16', '192.0.2.8'),
      ],
    });
    assert.deepEqual(plan.routes, []);
    assert.deepEqual(plan.skipped.map((s) => s.node), ['d', 'e', 'f', 'g', 'h']);
  });
});

void describe('routeCommands', () => {
  void it('adds host-gw routes with our protocol and nothing else', () => {
    const plan = planNodeRoutes({ self, connected: ['192.0.2.2/24'], nodes: [node('b', '10.42.1.0/24', '192.0.2.3')] });
    assert.deepEqual(routeCommands(plan, empty, opts), { ip: ['route replace 10.42.1.0/24 via 192.0.2.3 proto 116'], bridge: [] });
  });

  void it('is empty when the host already matches (idempotent)', () => {
    const plan = planNodeRoutes({ self, connected: ['192.0.2.2/24'], nodes: [node('b', '10.42.1.0/24', '192.0.2.3')] });
    assert.deepEqual(routeCommands(plan, { ...empty, routes: [{ dst: '10.42.1.0/24', gateway: '192.0.2.3', dev: 'eth0' }] }, opts), { ip: [], bridge: [] });
  });

  void it('creates the VXLAN device once, with route, neighbour and FDB entry per remote node', () => {
    const plan = planNodeRoutes({ self, connected: ['192.0.2.2/24'], nodes: [node('c', '10.42.2.0/24', '198.51.100.7', { vtepMac: '0a:11:22:33:44:55' })] });
    const first = routeCommands(plan, empty, opts);
    assert.deepEqual(first.ip, [
      'link add tkube.1 address 02:00:00:00:00:0a mtu 1450 type vxlan id 1 local 192.0.2.2 dstport 8472 nolearning',
      'addr replace 10.42.0.0/32 dev tkube.1',
      'link set tkube.1 up',
      'route replace 10.42.2.0/24 via 10.42.2.0 dev tkube.1 onlink proto 116',
      'neigh replace 10.42.2.0 lladdr 0a:11:22:33:44:55 dev tkube.1 nud permanent',
    ]);
    assert.deepEqual(first.bridge, ['fdb replace 0a:11:22:33:44:55 dev tkube.1 dst 198.51.100.7 self permanent']);
    const applied: HostRouteState = {
      routes: [{ dst: '10.42.2.0/24', gateway: '10.42.2.0', dev: 'tkube.1' }],
      vxlanDevice: true,
      neighbours: [{ dst: '10.42.2.0', lladdr: '0a:11:22:33:44:55' }],
      fdb: [{ mac: '0a:11:22:33:44:55', dst: '198.51.100.7' }],
    };
    assert.deepEqual(routeCommands(plan, applied, opts), { ip: [], bridge: [] });
  });

  void it('removes stale routes inside the cluster CIDR only, and stale neighbours and FDB entries', () => {
    const state: HostRouteState = {
      routes: [{ dst: '10.42.3.0/24', gateway: '192.0.2.5' }, { dst: '172.16.0.0/16', gateway: '192.0.2.5' }],
      vxlanDevice: true,
      neighbours: [{ dst: '10.42.4.0', lladdr: '0a:00:00:00:00:04' }],
      fdb: [{ mac: '0a:00:00:00:00:04', dst: '198.51.100.9' }, { mac: '00:00:00:00:00:00', dst: '198.51.100.9' }],
    };
    assert.deepEqual(routeCommands({ routes: [], skipped: [] }, state, opts), {
      ip: ['route del 10.42.3.0/24 proto 116', 'neigh del 10.42.4.0 dev tkube.1'],
      bridge: ['fdb del 0a:00:00:00:00:04 dev tkube.1 self'],
    });
  });

  void it('moves a route whose node changed from VXLAN to host-gw', () => {
    const plan = planNodeRoutes({ self, connected: ['192.0.2.2/24'], nodes: [node('b', '10.42.1.0/24', '192.0.2.3')] });
    const state: HostRouteState = { ...empty, routes: [{ dst: '10.42.1.0/24', gateway: '10.42.1.0', dev: 'tkube.1' }] };
    assert.deepEqual(routeCommands(plan, state, opts).ip, ['route replace 10.42.1.0/24 via 192.0.2.3 proto 116']);
  });
});

void describe('helpers', () => {
  void it('inCidr and vtepMac', () => {
    assert.equal(inCidr('192.0.2.200', '192.0.2.7/24'), true);
    assert.equal(inCidr('192.0.3.1', '192.0.2.7/24'), false);
    assert.equal(inCidr('10.1.2.3', '10.1.2.3'), true);
    assert.equal(inCidr('bogus', '10.0.0.0/8'), false);
    assert.equal(vtepMac(new Uint8Array([0xff, 1, 2, 3, 4, 5, 6])), 'fe:01:02:03:04:05');
  });
});

void describe('dual-stack routes', () => {
  const self6 = { ...self, podCidrV6: 'fd42:1:0:ff::/64' };
  const opts6 = { ...opts, podCidrV6: 'fd42:1:0:ff::/64', clusterCidrV6: 'fd42:1::/56' };
  const mac = '0a:11:22:33:44:55';
  void it('routes other nodes\' IPv6 pod CIDRs over VXLAN even when IPv4 goes host-gw', () => {
    const plan = planNodeRoutes({ self: self6, connected: ['192.0.2.2/24'], nodes: [node('b', '10.42.1.0/24', '192.0.2.3', { vtepMac: mac, podCidrV6: 'fd42:1:0:fe::/64' })] });
    assert.deepEqual(plan.routes, [{ kind: 'host-gw', node: 'b', podCidr: '10.42.1.0/24', via: '192.0.2.3' }]);
    assert.deepEqual(plan.routes6, [{ node: 'b', podCidr: 'fd42:1:0:fe::/64', vtep: 'fd42:1:0:fe:ffff:ffff:ffff:ffff', mac, nodeIP: '192.0.2.3' }]);
    const first = routeCommands(plan, empty, opts6);
    assert.deepEqual(first.ip, [
      'link add tkube.1 address 02:00:00:00:00:0a mtu 1450 type vxlan id 1 local 192.0.2.2 dstport 8472 nolearning',
      'addr replace 10.42.0.0/32 dev tkube.1',
      'link set tkube.1 up',
      'addr replace fd42:1:0:ff:ffff:ffff:ffff:ffff/128 dev tkube.1 nodad',
      'route replace 10.42.1.0/24 via 192.0.2.3 proto 116',
      'route replace fd42:1:0:fe::/64 via fd42:1:0:fe:ffff:ffff:ffff:ffff dev tkube.1 onlink proto 116',
      'neigh replace fd42:1:0:fe:ffff:ffff:ffff:ffff lladdr 0a:11:22:33:44:55 dev tkube.1 nud permanent',
    ]);
    assert.deepEqual(first.bridge, ['fdb replace 0a:11:22:33:44:55 dev tkube.1 dst 192.0.2.3 self permanent']);
    // Converged: only the idempotent VTEP address line; a gone node's IPv6 route and neighbour are removed.
    const state: HostRouteState = {
      routes: [{ dst: '10.42.1.0/24', gateway: '192.0.2.3', dev: 'eth0' }],
      vxlanDevice: true,
      neighbours: [],
      fdb: [{ mac, dst: '192.0.2.3' }],
      routes6: [{ dst: 'fd42:1:0:fe::/64', gateway: 'fd42:1:0:fe:ffff:ffff:ffff:ffff', dev: 'tkube.1' }, { dst: 'fd42:1:0:fd::/64', gateway: 'x', dev: 'tkube.1' }, { dst: 'fd99::/64', gateway: 'y', dev: 'tkube.1' }],
      neighbours6: [{ dst: 'fd42:1:0:fe:ffff:ffff:ffff:ffff', lladdr: mac }, { dst: 'fd42:1:0:fd:ffff:ffff:ffff:ffff', lladdr: '0a:00:00:00:00:01' }, { dst: 'fe80::1', lladdr: '0a:00:00:00:00:02' }],
    };
    assert.deepEqual(routeCommands(plan, state, opts6), {
      ip: ['addr replace fd42:1:0:ff:ffff:ffff:ffff:ffff/128 dev tkube.1 nodad', 'route del fd42:1:0:fd::/64 proto 116', 'neigh del fd42:1:0:fd:ffff:ffff:ffff:ffff dev tkube.1'],
      bridge: [],
    });
  });

  void it('leaves IPv6 out on a single-stack node, or for a peer without an IPv6 pod CIDR or MAC', () => {
    const single = planNodeRoutes({ self, connected: ['192.0.2.2/24'], nodes: [node('b', '10.42.1.0/24', '192.0.2.3', { vtepMac: mac, podCidrV6: 'fd42:1:0:fe::/64' })] });
    assert.equal(single.routes6, undefined);
    const peers = planNodeRoutes({ self: self6, connected: ['192.0.2.2/24'], nodes: [node('b', '10.42.1.0/24', '192.0.2.3', { vtepMac: mac }), node('c', '10.42.2.0/24', '192.0.2.4', { podCidrV6: 'fd42:1:0:fc::/64' })] });
    assert.equal(peers.routes6, undefined);
    assert.deepEqual(routeCommands(peers, empty, opts6).ip, ['route replace 10.42.1.0/24 via 192.0.2.3 proto 116', 'route replace 10.42.2.0/24 via 192.0.2.4 proto 116']);
  });
});
