import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveRequestInfo } from '../request/request-info-resolver.js';
import { AuthenticatedAuthorizer, forbiddenMessage, isPublicInfoPath } from './authorization.js';

const info = (method: string, path: string) => resolveRequestInfo(method, new URL(`https://h${path}`));
const user = { username: 'jane', groups: ['system:authenticated'] };

test('forbiddenMessage() words denials as upstream does', () => {
  assert.equal(
    forbiddenMessage(user, info('GET', '/api/v1/namespaces/ns/pods/p1')),
    'pods "p1" is forbidden: User "jane" cannot get resource "pods" in API group "" in the namespace "ns"',
  );
  assert.equal(
    forbiddenMessage(user, info('GET', '/apis/apps/v1/deployments'), 'RBAC: no rule'),
    'deployments.apps is forbidden: User "jane" cannot list resource "deployments" in API group "apps" at the cluster scope: RBAC: no rule',
  );
  assert.equal(
    forbiddenMessage(user, info('PUT', '/apis/apps/v1/namespaces/ns/deployments/d/scale')),
    'deployments.apps "d" is forbidden: User "jane" cannot update resource "deployments/scale" in API group "apps" in the namespace "ns"',
  );
  assert.equal(forbiddenMessage(user, info('GET', '/metrics')), 'forbidden: User "jane" cannot get path "/metrics"');
});

test('isPublicInfoPath() covers health and version paths and their sub-paths only', () => {
  for (const p of ['/livez', '/readyz/etcd', '/healthz', '/version']) assert.equal(isPublicInfoPath(p), true, p);
  for (const p of ['/metrics', '/versions', '/livezz', '/api']) assert.equal(isPublicInfoPath(p), false, p);
});

test('AuthenticatedAuthorizer allows authenticated users only', async () => {
  const a = new AuthenticatedAuthorizer();
  assert.equal((await a.authorize(user)).allowed, true);
  assert.equal((await a.authorize({ username: 'system:anonymous', groups: ['system:unauthenticated'] })).allowed, false);
});
