import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta/types.js';
import { ClusterIpAllocator } from './ip-allocator.js';
import { NodePortAllocator } from './port-allocator.js';
import { ServiceAllocation } from './service-allocation.js';

const service = (spec: Record<string, unknown>): KubeObject => ({ metadata: { name: 'web', namespace: 'default' }, spec: { ports: [{ port: 80, protocol: 'TCP' }], ...spec } });
const hcOf = (svc: KubeObject): unknown => (svc['spec'] as { healthCheckNodePort?: number }).healthCheckNodePort;

void describe('ServiceAllocation: healthCheckNodePort', () => {
  void it('allocates one from the node port range for LoadBalancer + Local only, keeps it on update, releases it when not needed', () => {
    const a = new ServiceAllocation(new ClusterIpAllocator('10.43.0.0/24'), new NodePortAllocator({ min: 30000, max: 30009 }));
    const hooks = a.hooks();
    const cluster = service({ type: 'LoadBalancer', externalTrafficPolicy: 'Cluster' });
    hooks.beforeCreate?.(cluster);
    assert.equal(hcOf(cluster), undefined);
    const nodePort = service({ type: 'NodePort', externalTrafficPolicy: 'Local' });
    hooks.beforeCreate?.(nodePort);
    assert.equal(hcOf(nodePort), undefined, 'upstream: only load balancers are health-checked');

    const local = service({ type: 'LoadBalancer', externalTrafficPolicy: 'Local' });
    hooks.beforeCreate?.(local);
    const hc = hcOf(local) as number;
    assert.ok(hc >= 30000 && hc <= 30009);
    assert.notEqual(hc, (local['spec'] as { ports: { nodePort: number }[] }).ports[0]?.nodePort);
    assert.ok(a.ports.has(hc));

    const same = structuredClone(local);
    hooks.beforeUpdate?.(same, local);
    assert.equal(hcOf(same), hc);
    assert.ok(a.ports.has(hc));

    const toCluster = structuredClone(local);
    (toCluster['spec'] as Record<string, unknown>)['externalTrafficPolicy'] = 'Cluster';
    delete (toCluster['spec'] as Record<string, unknown>)['healthCheckNodePort'];
    hooks.beforeUpdate?.(toCluster, local);
    assert.equal(a.ports.has(hc), false, 'released');

    const free = [...Array(10).keys()].map((i) => 30000 + i).find((p) => !a.ports.has(p)) ?? assert.fail('a free port');
    // No node ports of its own (they are allocated first, at random, and could take `free`).
    const asked = service({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', allocateLoadBalancerNodePorts: false, healthCheckNodePort: free });
    hooks.beforeCreate?.(asked);
    assert.ok(a.ports.has(free));
    const clash = service({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', allocateLoadBalancerNodePorts: false, healthCheckNodePort: free });
    assert.throws(() => hooks.beforeCreate?.(clash), new RegExp(`spec\\.healthCheckNodePort: Invalid value: ${free}: failed to allocate requested HealthCheck NodePort ${free}: provided port is already allocated`));
    hooks.afterDelete?.(asked);
    assert.equal(a.ports.has(free), false);

    a.rebuild([asked]);
    assert.ok(a.ports.has(free), 'rebuild counts health check ports');
  });
});
