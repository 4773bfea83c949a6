import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { legacyBodyError, legacyPathError } from './legacy-api-version.js';

void describe('legacy API versions', () => {
  void it('answers a v1beta1 body with a 400 naming tkube convert, and lets other bodies through', () => {
    const err = legacyBodyError({ kind: 'ReplicationController', apiVersion: 'v1beta1' });
    assert.equal(err?.status.code, 400);
    assert.equal(err?.status.reason, 'BadRequest');
    assert.match(err?.status.message ?? '', /^ReplicationController is in apiVersion v1beta1, .*"tkube convert -f FILE"/);
    assert.equal(legacyBodyError({ kind: 'Pod', apiVersion: 'v1' }), undefined);
    assert.equal(legacyBodyError({ kind: 'Deployment', apiVersion: 'apps/v1beta1' }), undefined);
  });

  void it('answers /api/v1beta1 and /api/v1beta2 with a 404 naming tkube convert, and nothing else', () => {
    assert.match(legacyPathError('api', '', 'v1beta2')?.status.message ?? '', /does not serve \/api\/v1beta2 .*tkube convert/);
    assert.equal(legacyPathError('api', '', 'v1beta2')?.status.code, 404);
    assert.equal(legacyPathError('api', '', 'v2'), undefined);
    assert.equal(legacyPathError('apis', 'extensions', 'v1beta1'), undefined);
  });
});
