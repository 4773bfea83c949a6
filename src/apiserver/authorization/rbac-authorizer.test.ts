import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/meta/types.js';
import type { RequestInfo, UserInfo } from '../request/request-info.js';
import { RbacAuthorizer } from './rbac-authorizer.js';
import { BOOTSTRAP_CLUSTER_ROLE_BINDINGS, BOOTSTRAP_CLUSTER_ROLES } from './bootstrap-policy.js';

function info(verb: string, resource: string, opts: Partial<RequestInfo> = {}): RequestInfo {
  return { isResourceRequest: true, path: '', verb, apiPrefix: 'api', apiGroup: '', apiVersion: 'v1', namespace: '', resource, subresource: '', name: '', parts: [], ...opts };
}

const alice: UserInfo = { username: 'alice', groups: ['system:authenticated'] };

describe('RbacAuthorizer', () => {
  it('grants a namespaced Role only in its namespace and keeps cluster-scoped requests out', async () => {
    const a = new RbacAuthorizer();
    a.upsert('Role', { metadata: { name: 'r', namespace: 'ns1' }, rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'pods/log'] }] });
    a.upsert('RoleBinding', { metadata: { name: 'b', namespace: 'ns1' }, roleRef: { kind: 'Role', name: 'r' }, subjects: [{ kind: 'User', name: 'alice' }] });
    assert.equal((await a.authorize(alice, info('list', 'pods', { namespace: 'ns1' }))).allowed, true);
    assert.equal((await a.authorize(alice, info('get', 'pods', { namespace: 'ns1', name: 'p', subresource: 'log' }))).allowed, true);
    assert.equal((await a.authorize(alice, info('get', 'pods', { namespace: 'ns1', name: 'p', subresource: 'exec' }))).allowed, false);
    assert.equal((await a.authorize(alice, info('list', 'pods', { namespace: 'ns2' }))).allowed, false);
    assert.equal((await a.authorize(alice, info('list', 'pods'))).allowed, false);
    assert.match((await a.authorize(alice, info('list', 'pods', { namespace: 'ns1' }))).reason ?? '', /RoleBinding "b\/ns1" of Role "r" to User "alice"/);
  });

  it('invalidates cached rules when bindings and roles change', async () => {
    const a = new RbacAuthorizer();
    a.upsert('ClusterRole', { metadata: { name: 'c' }, rules: [{ verbs: ['get'], apiGroups: ['apps'], resources: ['*/scale'] }] });
    const crb: KubeObject = { metadata: { name: 'b' }, roleRef: { kind: 'ClusterRole', name: 'c' }, subjects: [{ kind: 'Group', name: 'devs' }] };
    const bob: UserInfo = { username: 'bob', groups: ['devs'] };
    const scale = info('get', 'deployments', { apiGroup: 'apps', namespace: 'x', name: 'd', subresource: 'scale' });
    assert.equal((await a.authorize(bob, scale)).allowed, false);
    a.upsert('ClusterRoleBinding', crb);
    assert.equal((await a.authorize(bob, scale)).allowed, true);
    a.upsert('ClusterRole', { metadata: { name: 'c' }, rules: [] });
    assert.equal((await a.authorize(bob, scale)).allowed, false);
    a.upsert('ClusterRole', { metadata: { name: 'c' }, rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }] });
    assert.equal((await a.authorize(bob, scale)).allowed, true);
    a.remove('ClusterRoleBinding', crb);
    assert.equal((await a.authorize(bob, scale)).allowed, false);
  });

  it('matches ServiceAccount subjects, resourceNames and nonResourceURLs with a trailing *', async () => {
    const a = new RbacAuthorizer();
    a.upsert('ClusterRole', { metadata: { name: 'c' }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['one'] }, { verbs: ['get'], nonResourceURLs: ['/logs/*'] }] });
    a.upsert('ClusterRoleBinding', { metadata: { name: 'b' }, roleRef: { kind: 'ClusterRole', name: 'c' }, subjects: [{ kind: 'ServiceAccount', name: 'sa', namespace: 'kube-system' }] });
    const sa: UserInfo = { username: 'system:serviceaccount:kube-system:sa', groups: ['system:serviceaccounts'] };
    assert.equal((await a.authorize(sa, info('get', 'configmaps', { namespace: 'a', name: 'one' }))).allowed, true);
    assert.equal((await a.authorize(sa, info('get', 'configmaps', { namespace: 'a', name: 'two' }))).allowed, false);
    assert.equal((await a.authorize(sa, info('list', 'configmaps', { namespace: 'a' }))).allowed, false);
    assert.equal((await a.authorize(sa, { ...info('get', ''), isResourceRequest: false, path: '/logs/x/y' })).allowed, true);
    assert.equal((await a.authorize(sa, { ...info('get', ''), isResourceRequest: false, path: '/log' })).allowed, false);
  });

  it('allows system:masters everything and applies the bootstrap bindings', async () => {
    const a = new RbacAuthorizer();
    for (const r of BOOTSTRAP_CLUSTER_ROLES) a.upsert('ClusterRole', r);
    for (const b of BOOTSTRAP_CLUSTER_ROLE_BINDINGS) a.upsert('ClusterRoleBinding', b);
    assert.equal((await a.authorize({ username: 'system:admin', groups: ['system:masters'] }, info('delete', 'nodes', { name: 'n' }))).allowed, true);
    assert.equal((await a.authorize(alice, info('create', 'selfsubjectaccessreviews', { apiGroup: 'authorization.k8s.io' }))).allowed, true);
    assert.equal((await a.authorize(alice, { ...info('get', ''), isResourceRequest: false, path: '/apis/apps' })).allowed, true);
    assert.equal((await a.authorize(alice, info('list', 'secrets', { namespace: 'default' }))).allowed, false);
  });
});
