import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import type { KubeObject } from '../../api/meta/types.js';
import { FakeClock } from '../../base/clock/clock.js';
import type { GenericStore } from '../registry/generic-store.js';
import { BootstrapTokenAuthenticator } from './bootstrap-token-authenticator.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function tokenSecret(data: Record<string, string>, extra: Partial<KubeObject> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'bootstrap.kubernetes.io/token',
    metadata: { name: 'bootstrap-token-abcdef', namespace: 'kube-system' },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
    ...extra,
  };
}

function storeWith(objects: Map<string, KubeObject>): GenericStore {
  const fake = {
    find: (ns: string, name: string) => Promise.resolve(objects.get(`${ns}/${name}`)),
  };
  return fake as unknown as GenericStore;
}

const req = (token: string): IncomingMessage => ({ headers: { authorization: `Bearer ${token}` }, socket: {} }) as unknown as IncomingMessage;

describe('BootstrapTokenAuthenticator', () => {
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  const good = { 'token-id': 'abcdef', 'token-secret': '0123456789abcdef', 'usage-bootstrap-authentication': 'true' };
  const auth = (secret: KubeObject | undefined) =>
    new BootstrapTokenAuthenticator({ secrets: () => storeWith(new Map(secret ? [['kube-system/bootstrap-token-abcdef', secret]] : [])), clock });

  it('authenticates a valid token as system:bootstrap:<id> with extra groups', async () => {
    const a = auth(tokenSecret({ ...good, 'auth-extra-groups': 'system:bootstrappers:worker,system:bootstrappers:ingress' }));
    assert.deepEqual(await a.authenticate(req('abcdef.0123456789abcdef')), {
      username: 'system:bootstrap:abcdef',
      groups: ['system:bootstrappers', 'system:bootstrappers:worker', 'system:bootstrappers:ingress'],
    });
  });

  it('refuses wrong secrets, missing secrets, malformed tokens and other types', async () => {
    assert.equal(await auth(tokenSecret(good)).authenticate(req('abcdef.0123456789abcdee')), undefined);
    assert.equal(await auth(undefined).authenticate(req('abcdef.0123456789abcdef')), undefined);
    assert.equal(await auth(tokenSecret(good)).authenticate(req('ABCDEF.0123456789abcdef')), undefined);
    assert.equal(await auth(tokenSecret(good, { type: 'Opaque' })).authenticate(req('abcdef.0123456789abcdef')), undefined);
  });

  it('honours usage, expiration, deletion and the extra-group prefix', async () => {
    const token = req('abcdef.0123456789abcdef');
    assert.equal(await auth(tokenSecret({ ...good, 'usage-bootstrap-authentication': 'false' })).authenticate(token), undefined);
    assert.equal(await auth(tokenSecret({ ...good, expiration: '2025-12-31T23:59:59Z' })).authenticate(token), undefined);
    assert.ok(await auth(tokenSecret({ ...good, expiration: '2026-01-02T00:00:00Z' })).authenticate(token));
    assert.equal(await auth(tokenSecret(good, { metadata: { name: 'bootstrap-token-abcdef', deletionTimestamp: '2026-01-01T00:00:00Z' } })).authenticate(token), undefined);
    assert.equal(await auth(tokenSecret({ ...good, 'auth-extra-groups': 'system:masters' })).authenticate(token), undefined);
  });

  it('explains an expired token only to a caller holding its secret', async () => {
    const expired = auth(tokenSecret({ ...good, expiration: '2025-12-31T23:59:59Z' }));
    assert.equal(await expired.explainRejection(req('abcdef.0123456789abcdef')), 'bootstrap token "abcdef" expired at 2025-12-31T23:59:59Z');
    assert.equal(await expired.explainRejection(req('abcdef.0123456789abcdee')), undefined);
    assert.equal(await auth(undefined).explainRejection(req('abcdef.0123456789abcdef')), undefined);
    assert.equal(await auth(tokenSecret(good)).explainRejection(req('abcdef.0123456789abcdef')), undefined);
    assert.equal(await auth(tokenSecret({ ...good, expiration: '2026-01-02T00:00:00Z' })).explainRejection(req('abcdef.0123456789abcdef')), undefined);
  });
});
