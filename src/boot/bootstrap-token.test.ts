import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BOOTSTRAP_TOKEN_FORMAT, bootstrapTokenSecret, generateBootstrapToken } from './bootstrap-token.js';

describe('bootstrap tokens', () => {
  it('generates tokens of the upstream shape', () => {
    const a = generateBootstrapToken();
    assert.match(a, BOOTSTRAP_TOKEN_FORMAT);
    assert.notEqual(a, generateBootstrapToken());
  });

  it('builds the kube-system Secret kubeadm would', () => {
    const s = bootstrapTokenSecret('abcdef.0123456789abcdef', {
      ttlMs: 3_600_000,
      now: Date.parse('2026-01-01T00:00:00Z'),
      description: 'join',
      groups: ['system:bootstrappers:kubeadm:default-node-token'],
      usages: ['signing', 'authentication'],
    });
    assert.deepEqual(s.metadata, { name: 'bootstrap-token-abcdef', namespace: 'kube-system' });
    assert.equal(s['type'], 'bootstrap.kubernetes.io/token');
    assert.deepEqual(s['stringData'], {
      'token-id': 'abcdef',
      'token-secret': '0123456789abcdef',
      description: 'join',
      expiration: '2026-01-01T01:00:00Z',
      'usage-bootstrap-signing': 'true',
      'usage-bootstrap-authentication': 'true',
      'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token',
    });
  });

  it('refuses malformed tokens and groups outside system:bootstrappers:', () => {
    const o = { ttlMs: 0, now: 0, groups: [], usages: [] };
    assert.throws(() => bootstrapTokenSecret('ABCDEF.0123456789abcdef', o), /must look like/);
    assert.throws(() => bootstrapTokenSecret('abcdef.0123456789abcdef', { ...o, groups: ['system:masters'] }), /does not start with system:bootstrappers:/);
  });
});
