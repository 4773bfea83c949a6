/**
 * The controller manager inside `tkube server`, driven by real kubectl: deleting a namespace removes its content
 * and the namespace itself (kubectl's wait returns), every new namespace gets a `default` ServiceAccount, and a
 * deleted one comes back. `--controllers` selects what runs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, TestCluster } from '../harness/test-cluster.js';

describe('controllers in tkube server', () => {
  let c: TestCluster;
  before(async () => {
    c = await TestCluster.start();
  });
  after(async () => {
    await c?.stop();
  });

  it('kubectl delete namespace returns once its content is gone, and the namespace is gone', async () => {
    await c.kubectlOk(['create', 'ns', 'x']);
    await c.kubectlOk(['create', 'configmap', 'c', '-n', 'x', '--from-literal=k=v']);
    await c.kubectlOk(['create', 'deployment', 'd', '-n', 'x', '--image=busybox']);
    await c.kubectlOk(['create', 'secret', 'generic', 's', '-n', 'x', '--from-literal=k=v']);
    const del = await c.kubectl(['delete', 'ns', 'x', '--timeout=60s'], { timeoutMs: 90_000 });
    assert.equal(del.code, 0, del.stderr);
    assert.match(del.stdout, /namespace "x" deleted/);
    const get = await c.kubectl(['get', 'ns', 'x']);
    assert.notEqual(get.code, 0);
    assert.match(get.stderr, /namespaces "x" not found/);
    // Nothing of it is left behind to reappear in a namespace of the same name.
    await c.kubectlOk(['create', 'ns', 'x']);
    const left = await c.kubectlOk(['get', 'configmaps,deployments,secrets', '-n', 'x', '-o', 'name']);
    assert.doesNotMatch(left, /configmap\/c|deployment|secret\/s/);
  });

  it('a namespace whose content is held by a finalizer stays Terminating with upstream conditions until it is released', async () => {
    await c.kubectlOk(['create', 'ns', 'held']);
    await c.kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'stuck', namespace: 'held', finalizers: ['example.com/hold'] } }),
    });
    const del = await c.kubectl(['delete', 'ns', 'held', '--wait=false']);
    assert.equal(del.code, 0, del.stderr);
    const conditions = await eventually(async () => {
      const ns = JSON.parse(await c.kubectlOk(['get', 'ns', 'held', '-o', 'json'])) as { status?: { phase?: string; conditions?: { type: string; status: string; message?: string }[] } };
      const remaining = ns.status?.conditions?.find((x) => x.type === 'NamespaceFinalizersRemaining' && x.status === 'True');
      return ns.status?.phase === 'Terminating' && remaining ? ns.status.conditions : undefined;
    });
    assert.match(conditions.find((x) => x.type === 'NamespaceFinalizersRemaining')?.message ?? '', /example\.com\/hold in 1 resource instances/);
    assert.match(conditions.find((x) => x.type === 'NamespaceContentRemaining')?.message ?? '', /configmaps has 1 resource instances/);
    await c.kubectlOk(['patch', 'configmap', 'stuck', '-n', 'held', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await eventually(async () => (await c.kubectl(['get', 'ns', 'held'])).code !== 0);
  });

  it('every new namespace gets a default ServiceAccount, recreated when deleted', async () => {
    await c.kubectlOk(['create', 'ns', 'x2']);
    await eventually(async () => (await c.kubectl(['get', 'sa', 'default', '-n', 'x2'])).code === 0);
    const uid = (await c.kubectlOk(['get', 'sa', 'default', '-n', 'x2', '-o', 'jsonpath={.metadata.uid}'])).trim();
    await c.kubectlOk(['delete', 'sa', 'default', '-n', 'x2']);
    await eventually(async () => {
      const r = await c.kubectl(['get', 'sa', 'default', '-n', 'x2', '-o', 'jsonpath={.metadata.uid}']);
      return r.code === 0 && r.stdout.trim() !== uid;
    });
    // The namespaces created at boot have one too.
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) await c.kubectlOk(['get', 'sa', 'default', '-n', ns]);
  });
});

describe('tkube server --controllers', () => {
  let c: TestCluster;
  before(async () => {
    c = await TestCluster.start({ args: ['--controllers', '*,-serviceaccount'] });
  });
  after(async () => {
    await c?.stop();
  });

  it('leaves out a disabled controller and still runs the others', async () => {
    await c.kubectlOk(['create', 'ns', 'quiet']);
    await c.kubectlOk(['create', 'configmap', 'c', '-n', 'quiet']);
    const del = await c.kubectl(['delete', 'ns', 'quiet', '--timeout=60s'], { timeoutMs: 90_000 });
    assert.equal(del.code, 0, del.stderr);
    // No service account controller: namespaces stay without one.
    const sa = await c.kubectl(['get', 'sa', 'default', '-n', 'default']);
    assert.notEqual(sa.code, 0);
  });

  it('an unknown controller name fails start-up', async () => {
    // The harness keeps polling after the process exited, so the rejection arrives at readyTimeoutMs.
    const dataDir = mkdtempSync(join(tmpdir(), 'tkube-it-'));
    try {
      await assert.rejects(TestCluster.start({ dataDir, args: ['--controllers', 'nosuch'], readyTimeoutMs: 15_000 }), /Cannot select controller "nosuch": unknown/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
