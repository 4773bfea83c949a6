/** CriPodNetworkGate: a CRI node's sandboxes wait for the pod network; hostPorts go to the bridge once it exists. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BridgeNetwork } from './bridge-network.js';
import { CriPodNetworkGate } from './cri-pod-network.js';

function fakeBridge(calls: string[]): BridgeNetwork {
  const bridge: Pick<BridgeNetwork, 'publishHostPorts' | 'unpublishHostPorts'> = {
    publishHostPorts: (id) => {
      calls.push(`publish ${id}`);
      return Promise.resolve();
    },
    unpublishHostPorts: (id) => {
      calls.push(`unpublish ${id}`);
      return Promise.resolve();
    },
  };
  return bridge as BridgeNetwork;
}

void describe('CriPodNetworkGate', () => {
  void it('holds sandboxes until opened, and fails them with the reason', async () => {
    const gate = new CriPodNetworkGate();
    let passed = false;
    const waiting = gate.ready.then(() => (passed = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(passed, false);
    gate.open();
    await waiting;
    assert.equal(passed, true);
    const failed = new CriPodNetworkGate();
    failed.fail(new Error('no pod CIDR'));
    await assert.rejects(failed.ready, /no pod CIDR/);
  });

  void it('refuses hostPorts before the bridge, and removes a stopped sandbox\'s ports once the bridge is attached', async () => {
    const calls: string[] = [];
    const gate = new CriPodNetworkGate();
    await assert.rejects(gate.publishHostPorts('s1', '10.42.0.2', []), /no pod network/);
    await gate.unpublishHostPorts('old');
    assert.deepEqual(calls, []);
    await gate.attach(fakeBridge(calls));
    await gate.publishHostPorts('s2', '10.42.0.3', []);
    await gate.unpublishHostPorts('s2');
    assert.deepEqual(calls, ['unpublish old', 'publish s2', 'unpublish s2']);
  });
});
