/**
 * The garbage collector inside `tkube server`, driven by real kubectl: `kubectl delete` with each cascade mode
 * (background, foreground, orphan) on owners and their dependents, a dependent with a second live owner, and a
 * dependent whose owner never existed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, TestCluster } from '../harness/test-cluster.js';

/** configMap renders a ConfigMap, optionally owned by others (name + uid). */
function configMap(name: string, owners: { name: string; uid: string; block?: boolean }[] = [], finalizers: string[] = []): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      ...(finalizers.length > 0 ? { finalizers } : {}),
      ...(owners.length > 0
        ? { ownerReferences: owners.map((o) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: o.name, uid: o.uid, ...(o.block ? { blockOwnerDeletion: true } : {}) })) }
        : {}),
    },
    data: { k: 'v' },
  });
}

describe('garbage collector', () => {
  let c: TestCluster;
  const ns = ['-n', 'default'];
  const create = async (body: string): Promise<string> =>
    (await c.kubectlOk(['create', ...ns, '-f', '-', '-o', 'jsonpath={.metadata.uid}'], { input: body })).trim();
  const exists = async (name: string): Promise<boolean> => (await c.kubectl(['get', 'configmap', name, ...ns])).code === 0;
  const gone = (name: string): Promise<boolean> => eventually(async () => !(await exists(name)), 30_000);

  before(async () => {
    c = await TestCluster.start();
  });
  after(async () => {
    await c?.stop();
  });

  it('background: deleting the owner deletes its dependents', async () => {
    const uid = await create(configMap('bg-owner'));
    await create(configMap('bg-dep-1', [{ name: 'bg-owner', uid }]));
    await create(configMap('bg-dep-2', [{ name: 'bg-owner', uid }]));
    await c.kubectlOk(['delete', 'configmap', 'bg-owner', ...ns]);
    await gone('bg-dep-1');
    await gone('bg-dep-2');
  });

  it('orphan: dependents stay and lose their reference to the owner', async () => {
    const uid = await create(configMap('or-owner'));
    await create(configMap('or-dep', [{ name: 'or-owner', uid }]));
    const del = await c.kubectl(['delete', 'configmap', 'or-owner', ...ns, '--cascade=orphan', '--timeout=30s']);
    assert.equal(del.code, 0, del.stderr);
    await gone('or-owner');
    const refs = await c.kubectlOk(['get', 'configmap', 'or-dep', ...ns, '-o', 'jsonpath={.metadata.ownerReferences}']);
    assert.equal(refs.trim(), '');
  });

  it('foreground: the owner waits (with its finalizer) until the blocking dependents are gone', async () => {
    const uid = await create(configMap('fg-owner'));
    // The dependent holds a finalizer of its own, so the owner must visibly wait for it.
    await create(configMap('fg-dep', [{ name: 'fg-owner', uid, block: true }], ['example.com/hold']));
    const del = await c.kubectl(['delete', 'configmap', 'fg-owner', ...ns, '--cascade=foreground', '--wait=false']);
    assert.equal(del.code, 0, del.stderr);
    await eventually(async () => {
      const dep = JSON.parse(await c.kubectlOk(['get', 'configmap', 'fg-dep', ...ns, '-o', 'json'])) as { metadata: { deletionTimestamp?: string } };
      return dep.metadata.deletionTimestamp !== undefined;
    });
    const owner = JSON.parse(await c.kubectlOk(['get', 'configmap', 'fg-owner', ...ns, '-o', 'json'])) as { metadata: { finalizers?: string[]; deletionTimestamp?: string } };
    assert.ok(owner.metadata.deletionTimestamp);
    assert.deepEqual(owner.metadata.finalizers, ['foregroundDeletion']);
    await c.kubectlOk(['patch', 'configmap', 'fg-dep', ...ns, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await gone('fg-dep');
    await gone('fg-owner');
  });

  it('a dependent with another live owner keeps living and only forgets the deleted one', async () => {
    const a = await create(configMap('two-a'));
    const b = await create(configMap('two-b'));
    await create(configMap('two-dep', [{ name: 'two-a', uid: a }, { name: 'two-b', uid: b }]));
    await c.kubectlOk(['delete', 'configmap', 'two-a', ...ns]);
    await eventually(async () => {
      const refs = JSON.parse(await c.kubectlOk(['get', 'configmap', 'two-dep', ...ns, '-o', 'jsonpath={.metadata.ownerReferences}'])) as { name: string }[];
      return refs.length === 1 && refs[0]?.name === 'two-b';
    });
  });

  it('a dependent whose owner never existed is collected', async () => {
    await create(configMap('lost-dep', [{ name: 'nobody', uid: '00000000-0000-0000-0000-000000000000' }]));
    await gone('lost-dep');
  });
});
