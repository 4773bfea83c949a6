import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatIndexes, parseIndexes } from './completion-indexes.js';
import { matchPodFailurePolicy } from './pod-failure-policy.js';

describe('completion indexes', () => {
  it('round-trips the interval format', () => {
    assert.equal(formatIndexes([4, 0, 1, 2, 7, 8]), '0-2,4,7-8');
    assert.equal(formatIndexes([]), '');
    assert.deepEqual([...parseIndexes('0-2,4,7-8')].sort((a, b) => a - b), [0, 1, 2, 4, 7, 8]);
    assert.deepEqual([...parseIndexes('x,3')], [3]);
  });
});

describe('matchPodFailurePolicy', () => {
  const pod = { containers: [{ name: 'main', exitCode: 42 }], conditions: [{ type: 'DisruptionTarget', status: 'True' }] };
  it('matches exit codes with In and NotIn, per container', () => {
    assert.equal(matchPodFailurePolicy([{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }], pod)?.exitCode, 42);
    assert.equal(matchPodFailurePolicy([{ action: 'FailJob', onExitCodes: { operator: 'NotIn', values: [42] } }], pod), undefined);
    assert.equal(matchPodFailurePolicy([{ action: 'FailJob', onExitCodes: { containerName: 'other', operator: 'In', values: [42] } }], pod), undefined);
  });
  it('matches pod conditions, first rule wins', () => {
    const m = matchPodFailurePolicy([{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }, { action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }], pod);
    assert.equal(m?.rule.action, 'Ignore');
    assert.equal(m?.index, 0);
  });
});
