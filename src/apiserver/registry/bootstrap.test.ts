import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RealClock } from '../../base/clock/clock.js';
import { MemoryStorage } from '../../storage/memory/memory-storage.js';
import { ResourceDispatcher } from '../handlers/resource-dispatcher.js';
import { bootstrapCluster, SYSTEM_NAMESPACES } from './bootstrap.js';

void describe('bootstrapCluster()', () => {
  void it('creates the system namespaces and the kubernetes Service and Endpoints, idempotently', async () => {
    const storage = new MemoryStorage();
    const d = new ResourceDispatcher({ storage, clock: new RealClock() });
    await d.start();
    const config = {
      namespaces: d.storeFor('', 'namespaces')!,
      services: d.storeFor('', 'services')!,
      endpoints: d.storeFor('', 'endpoints')!,
      endpointSlices: d.storeFor('discovery.k8s.io', 'endpointslices')!,
      kubernetesServiceIp: d.serviceAllocation.ips.nth(1),
      advertiseAddress: '127.0.0.1',
    };
    await bootstrapCluster(config);
    const rev = await storage.currentRevision();
    await bootstrapCluster(config);
    assert.equal(await storage.currentRevision(), rev, 'a second run writes nothing');
    const names = (await config.namespaces.list('')).items.map((n) => n.metadata?.name).sort();
    assert.deepEqual(names, [...SYSTEM_NAMESPACES].sort());
    const svc = await config.services.get('default', 'kubernetes');
    assert.equal((svc['spec'] as { clusterIP: string }).clusterIP, '10.43.0.1');
    assert.ok(d.serviceAllocation.ips.has('10.43.0.1'));
    const ep = await config.endpoints.get('default', 'kubernetes');
    assert.deepEqual(ep['subsets'], [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }]);
    await bootstrapCluster({ ...config, advertiseAddress: '127.0.0.2' });
    const moved = await config.endpoints.get('default', 'kubernetes');
    assert.equal((moved['subsets'] as { addresses: { ip: string }[] }[])[0]?.addresses[0]?.ip, '127.0.0.2');

    // A restarted server rebuilds its allocators from the stored Services.
    const again = new ResourceDispatcher({ storage, clock: new RealClock() });
    await again.start();
    assert.ok(again.serviceAllocation.ips.has('10.43.0.1'));
    d.stop();
    again.stop();
  });
});
