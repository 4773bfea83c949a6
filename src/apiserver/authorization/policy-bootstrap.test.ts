import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RealClock } from '../../base/clock/clock.js';
import { newLogger } from '../../base/log/logger.js';
import { MemoryStorage } from '../../storage/memory/memory-storage.js';
import { ResourceDispatcher } from '../handlers/resource-dispatcher.js';
import type { RequestInfo } from '../request/request-info.js';
import { bootstrapCluster } from '../registry/bootstrap.js';
import { BOOTSTRAP_CLUSTER_ROLES } from './bootstrap-policy.js';
import { bootstrapPolicy } from './policy-bootstrap.js';
import { RbacAuthorizer } from './rbac-authorizer.js';
import { RbacCacheFeed } from './rbac-cache-feed.js';

const listPods: RequestInfo = { isResourceRequest: true, path: '', verb: 'list', apiPrefix: 'api', apiGroup: '', apiVersion: 'v1', namespace: 'default', resource: 'pods', subresource: '', name: '', parts: [] };

async function until(cond: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('bootstrapPolicy and RbacCacheFeed', () => {
  it('create the policy once, reconcile what is missing, and feed the authorizer from the watch caches', async () => {
    const storage = new MemoryStorage();
    const d = new ResourceDispatcher({ storage, clock: new RealClock() });
    await d.start();
    const storeFor = (g: string, r: string) => d.storeFor(g, r);
    await bootstrapCluster({ namespaces: d.storeFor('', 'namespaces')!, services: d.storeFor('', 'services')!, kubernetesServiceIp: d.serviceAllocation.ips.nth(1), advertiseAddress: '127.0.0.1' });
    const authz = new RbacAuthorizer();
    const feed = new RbacCacheFeed({ authorizer: authz, storeFor, log: newLogger('test') });
    try {
      await feed.start();
      const first = await bootstrapPolicy(storeFor);
      assert.ok(first.created >= BOOTSTRAP_CLUSTER_ROLES.length);
      assert.deepEqual(await bootstrapPolicy(storeFor), { created: 0, updated: 0 });
      // A rule removed from an auto-updated role comes back; the role is otherwise left as it is.
      const roles = d.storeFor('rbac.authorization.k8s.io', 'clusterroles')!;
      const basic = await roles.get('', 'system:basic-user');
      await roles.update('', 'system:basic-user', { ...basic, rules: [], metadata: { ...basic.metadata, labels: { ...basic.metadata?.labels, mine: 'yes' } } });
      assert.deepEqual(await bootstrapPolicy(storeFor), { created: 0, updated: 1 });
      const back = await roles.get('', 'system:basic-user');
      assert.equal((back.rules as unknown[]).length, 2);
      assert.equal(back.metadata?.labels?.mine, 'yes');
      // The feed follows writes: a new binding is honoured without any reload.
      const alice = { username: 'alice', groups: ['system:authenticated'] };
      assert.equal((await authz.authorize(alice, listPods)).allowed, false);
      await d.storeFor('rbac.authorization.k8s.io', 'clusterrolebindings')!.create('', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'a' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:aggregate-to-view' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }] });
      await until(async () => (await authz.authorize(alice, listPods)).allowed);
    } finally {
      feed.stop();
      d.stop();
    }
  });
});
