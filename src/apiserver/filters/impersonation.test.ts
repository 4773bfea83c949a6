import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { StatusError } from '../../api/meta/status-error.js';
import type { RequestInfo, UserInfo } from '../request/request-info.js';
import type { Authorizer } from './authorization.js';
import { hasImpersonationHeaders, impersonate } from './impersonation.js';

function request(headers: Record<string, string[]>): IncomingMessage {
  const flat = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.join(', ')]));
  return { headers: flat, headersDistinct: headers } as unknown as IncomingMessage;
}

/** Allows impersonating what `allowed` lists as "resource/namespace/name". */
function authorizer(allowed: string[], asked: string[] = []): Authorizer {
  return {
    authorize: async (_u: UserInfo, i: RequestInfo) => {
      const key = `${i.apiGroup}:${i.resource}${i.subresource ? `/${i.subresource}` : ''}/${i.namespace}/${i.name}`;
      asked.push(key);
      return { allowed: i.verb === 'impersonate' && allowed.includes(key) };
    },
  };
}

const alice: UserInfo = { username: 'alice', groups: ['system:authenticated'] };

describe('impersonation', () => {
  it('passes requests without headers through', async () => {
    const req = request({});
    assert.equal(hasImpersonationHeaders(req), false);
    assert.equal(await impersonate(req, alice, authorizer([])), alice);
  });

  it('checks every requested value and builds the new identity', async () => {
    const asked: string[] = [];
    const req = request({ 'impersonate-user': ['bob'], 'impersonate-group': ['devs'], 'impersonate-extra-scopes': ['a'], 'impersonate-uid': ['42'] });
    assert.equal(hasImpersonationHeaders(req), true);
    const u = await impersonate(req, alice, authorizer([':users//bob', ':groups//devs', 'authentication.k8s.io:userextras/scopes//a', 'authentication.k8s.io:uids//42'], asked));
    assert.deepEqual(u, { username: 'bob', groups: ['devs', 'system:authenticated'], uid: '42', extra: { scopes: ['a'] } });
    assert.equal(asked.length, 4);
  });

  it('treats service accounts as namespaced and refuses what is not allowed', async () => {
    const u = await impersonate(request({ 'impersonate-user': ['system:serviceaccount:ns:sa'] }), alice, authorizer([':serviceaccounts/ns/sa']));
    assert.deepEqual(u.groups, ['system:serviceaccounts', 'system:serviceaccounts:ns', 'system:authenticated']);
    await assert.rejects(impersonate(request({ 'impersonate-user': ['bob'] }), alice, authorizer([])), (err: unknown) => {
      assert.ok(err instanceof StatusError);
      assert.equal(err.status.message, 'users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope');
      return true;
    });
    await assert.rejects(impersonate(request({ 'impersonate-group': ['g'] }), alice, authorizer([])), (err: unknown) => err instanceof StatusError && err.status.code === 400);
  });
});
