import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta/types.js';
import { StatusError } from '../../api/meta/status-error.js';
import { ClusterIpAllocator } from './ip-allocator.js';
import { NodePortAllocator } from './port-allocator.js';
import { ServiceAllocation } from './service-allocation.js';

type Spec = Record<string, unknown> & { clusterIP?: string; clusterIPs?: string[]; ipFamilies?: string[]; ipFamilyPolicy?: string };
const service = (spec: Record<string, unknown>): KubeObject => ({ metadata: { name: 'web', namespace: 'default' }, spec: { type: 'ClusterIP', selector: { app: 'web' }, ports: [{ port: 80, protocol: 'TCP' }], ...spec } });
const specOf = (svc: KubeObject): Spec => svc['spec'] as Spec;
const dualStack = (): ServiceAllocation => new ServiceAllocation([new ClusterIpAllocator('10.43.0.0/24'), new ClusterIpAllocator('fd00:43::/112')], new NodePortAllocator({ min: 30000, max: 30009 }));
const singleStack = (): ServiceAllocation => new ServiceAllocation(new ClusterIpAllocator('10.43.0.0/24'), new NodePortAllocator({ min: 30000, max: 30009 }));

/** message is the 422's message, or fails. */
function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof StatusError, String(err));
    assert.equal(err.status.code, 422);
    return err.status.message ?? '';
  }
  return assert.fail('expected a 422');
}

void describe('ServiceAllocation: IP families (dual-stack)', () => {
  void it('defaults to SingleStack in the primary family, and PreferDualStack/RequireDualStack get both', () => {
    const a = dualStack();
    const hooks = a.hooks();
    const single = service({});
    hooks.beforeCreate?.(single);
    assert.equal(specOf(single).ipFamilyPolicy, 'SingleStack');
    assert.deepEqual(specOf(single).ipFamilies, ['IPv4']);
    assert.equal(specOf(single).clusterIPs?.length, 1);
    assert.match(specOf(single).clusterIP ?? '', /^10\.43\.0\./);

    for (const policy of ['PreferDualStack', 'RequireDualStack']) {
      const dual = service({ ipFamilyPolicy: policy });
      hooks.beforeCreate?.(dual);
      assert.deepEqual(specOf(dual).ipFamilies, ['IPv4', 'IPv6']);
      const [v4, v6] = specOf(dual).clusterIPs ?? [];
      assert.match(v4 ?? '', /^10\.43\.0\./);
      assert.match(v6 ?? '', /^fd00:43::/);
      assert.equal(specOf(dual).clusterIP, v4);
      assert.ok(a.ipsByFamily.get('IPv6')?.has(v6 ?? ''));
    }

    const v6First = service({ ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv6'] });
    hooks.beforeCreate?.(v6First);
    assert.deepEqual(specOf(v6First).ipFamilies, ['IPv6', 'IPv4']);
    assert.match(specOf(v6First).clusterIP ?? '', /^fd00:43::/);

    const inferred = service({ clusterIP: 'fd00:43::99', clusterIPs: ['fd00:43::99'] });
    hooks.beforeCreate?.(inferred);
    assert.deepEqual(specOf(inferred).ipFamilies, ['IPv6'], 'the family of a requested IP');
    assert.deepEqual(specOf(inferred).clusterIPs, ['fd00:43::99']);

    // Headless without a selector: RequireDualStack and both families, no addresses.
    const headless = service({ clusterIP: 'None', selector: undefined });
    hooks.beforeCreate?.(headless);
    assert.equal(specOf(headless).ipFamilyPolicy, 'RequireDualStack');
    assert.deepEqual(specOf(headless).ipFamilies, ['IPv4', 'IPv6']);
    assert.deepEqual(specOf(headless).clusterIPs, ['None']);
  });

  void it('releases both addresses on delete, and a failed second allocation gives the first back', () => {
    const a = dualStack();
    const hooks = a.hooks();
    const dual = service({ ipFamilyPolicy: 'RequireDualStack' });
    hooks.beforeCreate?.(dual);
    const [v4, v6] = specOf(dual).clusterIPs ?? [];
    hooks.afterDelete?.(dual);
    assert.ok(!a.ips.has(v4 ?? '') && !a.ipsByFamily.get('IPv6')?.has(v6 ?? ''));

    const taken = service({ clusterIP: '10.43.0.50', clusterIPs: ['10.43.0.50'] });
    hooks.beforeCreate?.(taken);
    const clash = service({ ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv6', 'IPv4'], clusterIP: 'fd00:43::7', clusterIPs: ['fd00:43::7', '10.43.0.50'] });
    assert.equal(
      message(() => hooks.beforeCreate?.(clash)),
      'Service "web" is invalid: spec.clusterIPs: Invalid value: []string{"fd00:43::7", "10.43.0.50"}: failed to allocate IP 10.43.0.50: provided IP is already allocated',
    );
    assert.ok(!a.ipsByFamily.get('IPv6')?.has('fd00:43::7'), 'undone');
  });

  void it('upgrades to dual-stack and downgrades to SingleStack on update', () => {
    const a = dualStack();
    const hooks = a.hooks();
    const svc = service({});
    hooks.beforeCreate?.(svc);
    const up = structuredClone(svc);
    specOf(up).ipFamilyPolicy = 'PreferDualStack';
    hooks.beforeUpdate?.(up, svc);
    assert.deepEqual(specOf(up).ipFamilies, ['IPv4', 'IPv6']);
    const v6 = specOf(up).clusterIPs?.[1] ?? assert.fail('a secondary IP');
    assert.equal(specOf(up).clusterIPs?.[0], specOf(svc).clusterIP);
    assert.ok(a.ipsByFamily.get('IPv6')?.has(v6));

    // Dropping the secondary needs SingleStack (upstream's message otherwise).
    const shrink = structuredClone(up);
    specOf(shrink).clusterIPs = specOf(up).clusterIPs?.slice(0, 1);
    assert.match(message(() => hooks.beforeUpdate?.(shrink, up)), /spec.ipFamilyPolicy: Invalid value: "PreferDualStack": must be 'SingleStack' to release the secondary cluster IP/);

    const down = structuredClone(up);
    specOf(down).ipFamilyPolicy = 'SingleStack';
    hooks.beforeUpdate?.(down, up);
    assert.deepEqual(specOf(down).ipFamilies, ['IPv4']);
    assert.deepEqual(specOf(down).clusterIPs, [specOf(svc).clusterIP]);
    assert.ok(!a.ipsByFamily.get('IPv6')?.has(v6), 'secondary released');

    // An update without a policy keeps the stored one (PreferDualStack stays dual).
    const kept = structuredClone(up);
    delete specOf(kept).ipFamilyPolicy;
    hooks.beforeUpdate?.(kept, up);
    assert.equal(specOf(kept).ipFamilyPolicy, 'PreferDualStack');
  });

  void it('refuses what the cluster cannot give, with upstream messages', () => {
    const hooks = singleStack().hooks();
    assert.equal(
      message(() => hooks.beforeCreate?.(service({ ipFamilyPolicy: 'RequireDualStack' }))),
      'Service "web" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services',
    );
    assert.equal(message(() => hooks.beforeCreate?.(service({ ipFamilies: ['IPv6'] }))), 'Service "web" is invalid: spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster');
    assert.equal(
      message(() => hooks.beforeCreate?.(service({ clusterIP: 'fd00::5', clusterIPs: ['fd00::5'] }))),
      'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: []string{"fd00::5"}: IPv6 is not configured on this cluster',
    );
    assert.equal(
      message(() => hooks.beforeCreate?.(service({ ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4', 'IPv6'] }))),
      'Service "web" is invalid: spec.ipFamilyPolicy: Invalid value: "SingleStack": must be \'RequireDualStack\' or \'PreferDualStack\' when multiple IP families are specified',
    );
    // PreferDualStack on a single-stack cluster is fine: one family.
    const prefer = service({ ipFamilyPolicy: 'PreferDualStack' });
    hooks.beforeCreate?.(prefer);
    assert.deepEqual(specOf(prefer).ipFamilies, ['IPv4']);
  });
});
