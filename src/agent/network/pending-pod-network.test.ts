/** PendingPodNetwork: sandboxes asked for before the real network exists wait for it, or fail with its reason. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PodNetwork, PodNetworkRequest } from './pod-network.js';
import { PendingPodNetwork } from './pending-pod-network.js';

const request: PodNetworkRequest = { sandboxId: 's1', podNamespace: 'default', podName: 'p', podUID: 'u', netnsPath: '/run/netns/x', portMappings: [] };

void describe('PendingPodNetwork', () => {
  void it('holds setUp until the network is resolved, then forwards setUp and tearDown', async () => {
    const calls: string[] = [];
    const real: PodNetwork = {
      name: 'fake',
      setUp: (r) => {
        calls.push(`up ${r.sandboxId}`);
        return Promise.resolve({ ips: ['10.42.0.2'] });
      },
      tearDown: (r) => {
        calls.push(`down ${r.sandboxId}`);
        return Promise.resolve();
      },
    };
    const pending = new PendingPodNetwork();
    const result = pending.setUp(request);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(calls, []);
    pending.resolve(real);
    assert.deepEqual(await result, { ips: ['10.42.0.2'] });
    await pending.tearDown(request);
    assert.deepEqual(calls, ['up s1', 'down s1']);
  });

  void it('fails setUp with the reason once failed; tearDown has nothing to do', async () => {
    const pending = new PendingPodNetwork();
    const waiting = pending.setUp(request);
    pending.fail(new Error('node n1 got no pod CIDR within 30 s'));
    await assert.rejects(waiting, /no pod CIDR/);
    await assert.rejects(pending.setUp(request), /no pod CIDR/);
    await pending.tearDown(request);
  });
});
