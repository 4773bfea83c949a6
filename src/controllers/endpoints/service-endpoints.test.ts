import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { endpointSubsets } from './endpoints-controller.js';
import { desiredSlices } from './endpointslice-controller.js';
import type { PodShape, ServiceShape } from './service-endpoints.js';

const svc = (extra: Partial<NonNullable<ServiceShape['spec']>> = {}): ServiceShape => ({
  metadata: { name: 's', namespace: 'n' },
  spec: { selector: { app: 'a' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }], ...extra },
});
const pod = (name: string, ip: string | undefined, ready: boolean, named = true, extra: Partial<PodShape> = {}): PodShape => ({
  metadata: { name, namespace: 'n', uid: `u-${name}`, labels: { app: 'a' } },
  spec: { nodeName: 'node1', containers: [{ ports: named ? [{ name: 'http', containerPort: 8080 }] : [{ containerPort: 9090 }] }] },
  status: { phase: 'Running', ...(ip ? { podIP: ip } : {}), conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  ...extra,
});

describe('endpointSubsets', () => {
  it('splits ready and not-ready pods, resolves named ports and skips pods without an IP or the port', () => {
    const subsets = endpointSubsets(svc(), [pod('a', '10.0.0.2', true), pod('b', '10.0.0.1', false), pod('c', undefined, true), pod('d', '10.0.0.3', true, false)]);
    assert.equal(subsets.length, 1);
    assert.deepEqual(subsets[0]?.ports, [{ name: 'web', port: 8080, protocol: 'TCP' }]);
    assert.deepEqual(subsets[0]?.addresses?.map((a) => a.ip), ['10.0.0.2']);
    assert.deepEqual(subsets[0]?.notReadyAddresses?.map((a) => a.ip), ['10.0.0.1']);
  });
  it('publishes not-ready pods as addresses with publishNotReadyAddresses, and leaves terminating pods out otherwise', () => {
    const terminating = pod('t', '10.0.0.9', true, true, {});
    terminating.metadata = { ...terminating.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' };
    assert.deepEqual(endpointSubsets(svc(), [terminating]), []);
    const all = endpointSubsets(svc({ publishNotReadyAddresses: true }), [pod('b', '10.0.0.1', false)]);
    assert.deepEqual(all[0]?.addresses?.map((a) => a.ip), ['10.0.0.1']);
  });
});

describe('desiredSlices', () => {
  it('carries conditions, and keeps one empty slice for a Service without endpoints', () => {
    const [slice] = desiredSlices(svc(), [pod('a', '10.0.0.2', true), pod('b', '10.0.0.1', false)]);
    assert.deepEqual(slice?.endpoints.map((e) => [(e['addresses'] as string[])[0], (e['conditions'] as { ready: boolean }).ready]), [['10.0.0.1', false], ['10.0.0.2', true]]);
    assert.deepEqual(desiredSlices(svc(), []), [{ addressType: 'IPv4', ports: [], endpoints: [] }]);
  });
  it('cuts large sets into slices of at most 100', () => {
    const pods = Array.from({ length: 250 }, (_, i) => pod(`p${i}`, `10.1.${Math.floor(i / 250)}.${i}`, true));
    assert.deepEqual(desiredSlices(svc(), pods).map((s) => s.endpoints.length), [100, 100, 50]);
  });
});

describe('desiredSlices (dual-stack)', () => {
  const dual = (name: string, v4: string, v6: string): PodShape => {
    const p = pod(name, v4, true);
    p.status = { ...p.status, podIPs: [{ ip: v4 }, { ip: v6 }] };
    return p;
  };
  it('makes one slice set per family in ipFamilies order, each with the pods\' addresses of that family', () => {
    const pods = [dual('a', '10.0.0.2', 'fd00::2'), dual('b', '10.0.0.1', 'fd00::1'), pod('c', '10.0.0.3', true)];
    const slices = desiredSlices(svc({ clusterIP: 'fd00:43::5', clusterIPs: ['fd00:43::5', '10.43.0.5'], ipFamilies: ['IPv6', 'IPv4'] }), pods);
    assert.deepEqual(
      slices.map((s) => [s.addressType, s.endpoints.map((e) => (e['addresses'] as string[])[0])]),
      [
        ['IPv6', ['fd00::1', 'fd00::2']],
        ['IPv4', ['10.0.0.1', '10.0.0.2', '10.0.0.3']],
      ],
    );
    // Single-stack IPv4: the IPv6 addresses stay out.
    assert.deepEqual(desiredSlices(svc({ ipFamilies: ['IPv4'] }), pods).map((s) => s.addressType), ['IPv4']);
    // A family without endpoints gets no slice; none at all leaves the placeholder of the primary family.
    assert.deepEqual(desiredSlices(svc({ ipFamilies: ['IPv6', 'IPv4'] }), [pod('c', '10.0.0.3', true)]).map((s) => s.addressType), ['IPv4']);
    assert.deepEqual(desiredSlices(svc({ ipFamilies: ['IPv6', 'IPv4'] }), []), [{ addressType: 'IPv6', ports: [], endpoints: [] }]);
  });
});
