import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta/types.js';
import { computeDetachedSignature } from '../../api/bootstrap/detached-jws.js';
import { desiredSignatures } from './bootstrap-signer.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function tokenSecret(id: string, extra: Record<string, string> = {}, namespace = 'kube-system'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'bootstrap.kubernetes.io/token',
    metadata: { name: `bootstrap-token-${id}`, namespace },
    data: Object.fromEntries(Object.entries({ 'token-id': id, 'token-secret': '0123456789abcdef', 'usage-bootstrap-signing': 'true', ...extra }).map(([k, v]) => [k, b64(v)])),
  } as KubeObject;
}

void describe('bootstrapsigner desiredSignatures', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  void it('signs each valid signing token and reports the next expiry', () => {
    const got = desiredSignatures('content', [tokenSecret('aaaaaa'), tokenSecret('bbbbbb', { expiration: '2026-01-02T00:00:00Z' })], now);
    assert.deepEqual(Object.keys(got.signatures).sort(), ['jws-kubeconfig-aaaaaa', 'jws-kubeconfig-bbbbbb']);
    assert.equal(got.signatures['jws-kubeconfig-aaaaaa'], computeDetachedSignature('content', 'aaaaaa', '0123456789abcdef'));
    assert.equal(got.nextExpiry, Date.parse('2026-01-02T00:00:00Z'));
  });

  void it('leaves out expired, non-signing, malformed, deleting and misplaced tokens', () => {
    const deleting = tokenSecret('dddddd');
    deleting.metadata = { ...deleting.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' };
    const got = desiredSignatures(
      'content',
      [
        tokenSecret('eeeeee', { expiration: '2025-12-31T00:00:00Z' }),
        tokenSecret('ffffff', { 'usage-bootstrap-signing': 'false' }),
        tokenSecret('BAD'),
        tokenSecret('gggggg', {}, 'default'),
        deleting,
      ],
      now,
    );
    assert.deepEqual(got.signatures, {});
    assert.equal(got.nextExpiry, undefined);
  });
});
