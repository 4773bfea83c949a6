/**
 * Debian's python3-kubernetes (22.6, for /usr/bin/python3 — not the pyenv python3 on PATH) against tkube server:
 * test/python/configmap-watch.py lists namespaces, creates a configmap, sees it on watches, patches, reads and deletes it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT, runCommand, TestCluster } from '../harness/test-cluster.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(REPO_ROOT, 'test', 'python', 'configmap-watch.py');

/** Step is one JSON line the script prints. */
interface Step {
  readonly step: string;
  readonly [field: string]: unknown;
}

/** pythonClientMissing says why the Python client cannot run here, or undefined when it can. */
async function pythonClientMissing(): Promise<string | undefined> {
  try {
    const r = await runCommand(PYTHON, ['-c', 'import kubernetes; print(kubernetes.__version__)'], { timeoutMs: 30_000 });
    return r.code === 0 ? undefined : `${PYTHON} cannot import kubernetes (apt-get install python3-kubernetes): ${r.stderr.trim().split('\n').at(-1) ?? ''}`;
  } catch (err) {
    return `${PYTHON} cannot run: ${String(err)}`;
  }
}

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
    const r = await runCommand(PYTHON, [SCRIPT, cluster.kubeconfig, 'py', 'from-python'], { timeoutMs: 60_000, env: { ...process.env, HOME: cluster.dataDir } });
    assert.equal(r.code, 0, `script failed:\n${r.stdout}\n${r.stderr}`);
    const steps = new Map(
      r.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Step)
        .map((s) => [s.step, s]),
    );
    const get = (name: string): Step => {
      const s = steps.get(name);
      assert.ok(s, `the script printed no "${name}" step:\n${r.stdout}\n${r.stderr}`);
      return s;
    };

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
