/**
 * PodIpAllocator and subnetOf: addresses come from the node's range, are stable per owner, reused after release.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PodIpAllocator, subnetOf } from './pod-ip-allocator.js';
import { simulatedNodeSpecs } from './simulated-nodes.js';

void describe('PodIpAllocator', () => {
  void it('hands out network+2 upwards, stable per owner', () => {
    const a = new PodIpAllocator('10.42.3.0/24');
    assert.equal(a.allocate('u1'), '10.42.3.2');
    assert.equal(a.allocate('u2'), '10.42.3.3');
    assert.equal(a.allocate('u1'), '10.42.3.2');
  });

  void it('reuses released addresses and refuses when full', () => {
    const a = new PodIpAllocator('10.0.0.0/30');
    assert.equal(a.allocate('u1'), '10.0.0.2');
    assert.throws(() => a.allocate('u2'), /pod CIDR 10\.[0-9.]*\/[0-9]* are in use/);
    a.release('u1');
    assert.equal(a.allocate('u2'), '10.0.0.2');
  });

  void it('reserve keeps an address found in a pod status', () => {
    const a = new PodIpAllocator('10.42.0.0/24');
    a.reserve('old', '10.42.0.2');
    assert.equal(a.allocate('new'), '10.42.0.3');
  });

  void it('subnetOf cuts the i-th subnet; simulated nodes get distinct ranges and addresses', () => {
    assert.equal(subnetOf('10.42.0.0/16', 24, 3), '10.42.3.0/24');
    const specs = simulatedNodeSpecs(3);
    assert.deepEqual(
      specs.map((s) => [s.name, s.podCIDR, s.internalIP]),
      [
        ['sim-0', '10.42.0.0/24', '172.18.0.2'],
        ['sim-1', '10.42.1.0/24', '172.18.0.3'],
        ['sim-2', '10.42.2.0/24', '172.18.0.4'],
      ],
    );
  });
});
