/**
 * Debian's python3-kubernetes (22.6, for /usr/bin/python3 — not the pyenv python3 on PATH) against tkube server:
 * test/python/configmap-watch.py lists namespaces, creates a configmap, sees it on watches, patches, reads and deletes it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pythonClientMissing, runPythonSteps } from '../harness/python-client.js';
import { REPO_ROOT, TestCluster } from '../harness/test-cluster.js';

const SCRIPT = join(REPO_ROOT, 'test', 'python', 'configmap-watch.py');


const missing = await pythonClientMissing();

void describe('python3-kubernetes against tkube server', { skip: missing }, () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await TestCluster.start();
  });

  after(async () => {
    await cluster?.stop();
  });

  void it('lists namespaces, creates a configmap, watches it arrive, patches, reads and deletes it', async () => {
    await cluster.kubectlOk(['create', 'namespace', 'py']);
    const get = await runPythonSteps(SCRIPT, [cluster.kubeconfig, 'py', 'from-python'], cluster.dataDir);

    const names = get('namespaces').names as string[];
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'py']) assert.ok(names.includes(ns), `namespaces: ${names.join(', ')}`);
    assert.equal(get('created').name, 'from-python');
    assert.match(String(get('created').resourceVersion), /^\d+$/);
    assert.deepEqual(get('watched').events, [['ADDED', 'from-python']]);
    assert.deepEqual(get('initial').events, [['ADDED', 'from-python']]);
    assert.deepEqual(get('patched').data, { k: 'v2', extra: 'x' });
    assert.deepEqual(get('read').data, { k: 'v2', extra: 'x' });
    assert.deepEqual(get('read').labels, { from: 'python' });
    const deleted = get('deleted');
    assert.equal(deleted.status, 404);
    assert.equal(deleted.reason, 'NotFound');
    assert.equal(deleted.message, 'configmaps "from-python" not found');
  });
});
