import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeShouldRunDaemon } from './node-eligibility.js';

const node = (labels: Record<string, string>, taints: { key: string; value?: string; effect: string }[] = []) => ({ metadata: { name: 'n', labels }, spec: { taints } });

describe('nodeShouldRunDaemon', () => {
  it('matches nodeSelector and required node affinity', () => {
    assert.equal(nodeShouldRunDaemon(node({ disk: 'ssd' }), { nodeSelector: { disk: 'ssd' } }), true);
    assert.equal(nodeShouldRunDaemon(node({ disk: 'hdd' }), { nodeSelector: { disk: 'ssd' } }), false);
    const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In' as const, values: ['a', 'b'] }] }] } } };
    assert.equal(nodeShouldRunDaemon(node({ zone: 'b' }), { affinity }), true);
    assert.equal(nodeShouldRunDaemon(node({ zone: 'c' }), { affinity }), false);
  });
  it('skips untolerated NoSchedule/NoExecute taints but tolerates cordoned and unhealthy nodes', () => {
    assert.equal(nodeShouldRunDaemon(node({}, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]), {}), false);
    assert.equal(nodeShouldRunDaemon(node({}, [{ key: 'dedicated', value: 'db', effect: 'PreferNoSchedule' }]), {}), true);
    assert.equal(nodeShouldRunDaemon(node({}, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]), { tolerations: [{ key: 'dedicated', operator: 'Exists' }] }), true);
    assert.equal(nodeShouldRunDaemon(node({}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]), {}), true);
    assert.equal(nodeShouldRunDaemon(node({}, [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }]), {}), true);
  });
});
