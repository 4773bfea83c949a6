import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeHostEnter, planNodeHosts } from './node-hosts.js';

void describe('planNodeHosts', () => {
  void it('hands out addresses after the gateway, names within interface limits, one bridge per cluster', () => {
    const plan = planNodeHosts({ name: 'dev', subnets: ['10.199.0.0/24'], count: 3 });
    assert.deepEqual(plan.gateways, ['10.199.0.1/24']);
    assert.deepEqual(plan.hosts.map((h) => [h.netns, h.address, h.gateway]), [
      ['tkube-dev-h0', '10.199.0.2', '10.199.0.1'],
      ['tkube-dev-h1', '10.199.0.3', '10.199.0.1'],
      ['tkube-dev-h2', '10.199.0.4', '10.199.0.1'],
    ]);
    for (const n of [plan.bridge, ...plan.hosts.map((h) => h.veth)]) assert.ok(n.length <= 15, n);
    assert.notEqual(planNodeHosts({ name: 'other', subnets: ['10.199.1.0/24'], count: 1 }).bridge, plan.bridge);
    assert.deepEqual(nodeHostEnter(plan.hosts[0] ?? assert.fail()), ['nsenter', '--net=/run/netns/tkube-dev-h0', '--']);
  });

  void it('spreads hosts over several subnets round-robin', () => {
    const plan = planNodeHosts({ name: 'r', subnets: ['10.1.0.0/24', '10.2.0.0/24'], count: 3 });
    assert.deepEqual(plan.hosts.map((h) => `${h.address} via ${h.gateway}`), ['10.1.0.2 via 10.1.0.1', '10.2.0.2 via 10.2.0.1', '10.1.0.3 via 10.1.0.1']);
    assert.deepEqual(plan.gateways, ['10.1.0.1/24', '10.2.0.1/24']);
  });

  void it('refuses bad names, subnets and counts with a clear message', () => {
    assert.throws(() => planNodeHosts({ name: 'a b', subnets: ['10.1.0.0/24'], count: 1 }), /cluster name/);
    assert.throws(() => planNodeHosts({ name: 'a', subnets: ['10.1.0.0/30'], count: 1 }), /hosts subnet/);
    assert.throws(() => planNodeHosts({ name: 'a', subnets: ['10.1.0.0/29'], count: 6 }), /Cannot fit 6/);
    assert.throws(() => planNodeHosts({ name: 'a', subnets: [], count: 1 }), /at least one/);
    assert.throws(() => planNodeHosts({ name: 'a', subnets: ['10.1.0.0/24'], count: 0 }), /1 to 64/);
  });
});
