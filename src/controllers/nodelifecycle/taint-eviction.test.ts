import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evictionTime } from './taint-eviction.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const unreachable = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2026-11-23T11:59:00Z' };

describe('evictionTime', () => {
  it('evicts at once without a matching toleration', () => {
    assert.equal(evictionTime([unreachable], [], NOW), NOW);
  });
  it('waits tolerationSeconds from the taint, or forever without a period', () => {
    assert.equal(evictionTime([unreachable], [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }], NOW), Date.parse('2026-11-23T12:04:00Z'));
    assert.equal(evictionTime([unreachable], [{ operator: 'Exists' }], NOW), undefined);
  });
  it('ignores NoSchedule taints and takes the earliest deadline', () => {
    const other = { key: 'x', value: 'y', effect: 'NoExecute', timeAdded: '2026-11-23T11:59:30Z' };
    const at = evictionTime([unreachable, other, { key: 'z', effect: 'NoSchedule' }], [
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 300 },
      { key: 'x', operator: 'Equal', value: 'y', tolerationSeconds: 10 },
    ], NOW);
    assert.equal(at, Date.parse('2026-11-23T11:59:40Z'));
  });
});
