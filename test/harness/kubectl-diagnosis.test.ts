import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { namedObjects } from './kubectl-diagnosis.js';

describe('namedObjects', () => {
  it('reads the kind and names a delete, wait or rollout acts on, with the namespace flags', () => {
    assert.deepEqual(namedObjects(['delete', 'pod', 'web-1', '-n', 'default']), { targets: ['pod', 'web-1'], namespace: ['-n', 'default'] });
    assert.deepEqual(namedObjects(['wait', '--for=delete', 'pod/a', 'pod/b', '--timeout', '60s']), { targets: ['pod/a', 'pod/b'], namespace: [] });
    assert.deepEqual(namedObjects(['rollout', 'status', 'statefulset/web', '--namespace=apps', '--timeout=90s']), { targets: ['statefulset/web'], namespace: ['-n', 'apps'] });
    assert.deepEqual(namedObjects(['-A', 'get', 'pods', 'x', '-o', 'json']), { targets: ['pods', 'x'], namespace: ['-A'] });
  });

  it('names nothing for a bare kind, a manifest or a verb that names no object', () => {
    assert.equal(namedObjects(['delete', 'pods', '--all', '--grace-period', '1']), undefined);
    assert.equal(namedObjects(['apply', '-f', '-']), undefined);
    assert.equal(namedObjects(['exec', 'pod', '--', 'true']), undefined);
  });
});
