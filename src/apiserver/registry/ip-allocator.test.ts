import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClusterIpAllocator, IpAllocationError } from './ip-allocator.js';
import { NodePortAllocator, PortAllocationError } from './port-allocator.js';

void describe('ClusterIpAllocator', () => {
  void it('allocates inside the CIDR, skipping .1 and .10, and refuses foreign or taken addresses', () => {
    const a = new ClusterIpAllocator('10.43.0.0/28');
    assert.equal(a.nth(1), '10.43.0.1');
    const got = new Set<string>();
    for (let i = 0; i < 12; i++) got.add(a.allocate());
    assert.equal(got.size, 12);
    assert.ok(!got.has('10.43.0.1') && !got.has('10.43.0.10') && !got.has('10.43.0.0') && !got.has('10.43.0.15'));
    assert.throws(() => a.allocate(), (e: unknown) => e instanceof IpAllocationError && e.why === 'full');
    a.allocateSpecific('10.43.0.1');
    assert.throws(() => a.allocateSpecific('10.43.0.1'), /provided IP is already allocated/);
    assert.throws(() => a.allocateSpecific('10.0.0.1'), /provided IP is not in the valid range. The range of valid IPs is 10.43.0.0\/28/);
    a.release('10.43.0.1');
    assert.equal(a.has('10.43.0.1'), false);
    assert.throws(() => new ClusterIpAllocator('bogus'), /Cannot use service CIDR/);
  });
});

void describe('NodePortAllocator', () => {
  void it('allocates within the range and refuses taken or foreign ports', () => {
    const p = new NodePortAllocator({ min: 30000, max: 30002 });
    const ports = [p.allocate(), p.allocate(), p.allocate()].sort();
    assert.deepEqual(ports, [30000, 30001, 30002]);
    assert.throws(() => p.allocate(), PortAllocationError);
    p.release(30001);
    assert.throws(() => p.allocateSpecific(30000), /provided port is already allocated/);
    assert.throws(() => p.allocateSpecific(80), /provided port is not in the valid range. The range of valid ports is 30000-30002/);
    p.allocateSpecific(30001);
  });
});
