/**
 * Local-path volume deletion on a real runc node, with real kubectl: a claim of the default `local-path` class
 * in a brand-new namespace (its pod also needs that namespace's `kube-root-ca.crt` for the token volume) is
 * provisioned under `--default-local-storage-path` on the node; once pod and claim are deleted, the Released
 * volume (reclaim Delete) is held by the local-path finalizer until the node removed its directory, then goes.
 * A volume deleted while its claim still exists keeps its data until the claim is deleted.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { containerHostMissing } from '../harness/host-tools.js';
import { cleanupRuncNode } from '../harness/runc-node.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const skip = containerHostMissing();

interface PvJson {
  metadata: { finalizers?: string[] };
  spec: { hostPath?: { path?: string }; persistentVolumeReclaimPolicy?: string };
}

void describe('local-path volume deletion on a runc node', { skip }, () => {
  let c: TestCluster;
  let storage: string;
  const node = `tkube-lp-${process.pid}`;
  before(async () => {
    // The storage dir lives in the data dir, which cleanupRuncNode removes with whatever is left in it.
    const dataDir = mkdtempSync(join(tmpdir(), 'tkube-it-'));
    storage = join(dataDir, 'storage');
    c = await TestCluster.start({ dataDir, agent: true, args: ['--container-runtime', 'runc', '--node-name', node, '--default-local-storage-path', storage] });
  });
  after(async () => {
    if (!c) return;
    await c.kubectl(['delete', 'pods', '--all', '-A', '--grace-period=1', '--wait=true', '--timeout=60s']);
    await cleanupRuncNode(c);
  });

  void it('removes the directory of a deleted claim\'s volume on its node, then the volume', async () => {
    await eventually(async () => /\sReady\s/.test(await c.kubectlOk(['get', 'node', node])), 30_000);
    await c.kubectlOk(['create', 'namespace', 'store']);
    await c.kubectlOk(['apply', '-n', 'store', '-f', '-'], {
      input: `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Mi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: writer}
spec:
  restartPolicy: Never
  volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]
  containers:
  - {name: c, image: busybox, command: [sh, -c, 'mkdir -p /data/deep/er && echo kept > /data/deep/er/file && cat /var/run/secrets/kubernetes.io/serviceaccount/ca.crt | head -1'], volumeMounts: [{name: d, mountPath: /data}]}
`,
    });
    await eventually(async () => (await c.kubectlOk(['get', 'pod', 'writer', '-n', 'store', '-o', 'jsonpath={.status.phase}'])) === 'Succeeded', 60_000);
    assert.equal(await c.kubectlOk(['logs', 'writer', '-n', 'store']), '-----BEGIN CERTIFICATE-----\n');
    const pvName = (await c.kubectlOk(['get', 'pvc', 'data', '-n', 'store', '-o', 'jsonpath={.spec.volumeName}'])).trim();
    const pv = JSON.parse(await c.kubectlOk(['get', 'pv', pvName, '-o', 'json'])) as PvJson;
    const dir = pv.spec.hostPath?.path ?? '';
    assert.equal(dir, join(storage, `${pvName}_store_data`));
    assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Delete');
    assert.deepEqual(pv.metadata.finalizers, ['tkube.io/local-path-cleanup']);
    assert.equal(readFileSync(join(dir, 'deep', 'er', 'file'), 'utf8'), 'kept\n');

    await c.kubectlOk(['delete', 'pod', 'writer', '-n', 'store', '--grace-period=1', '--timeout=60s']);
    await c.kubectlOk(['delete', 'pvc', 'data', '-n', 'store', '--timeout=60s']);
    await eventually(async () => (await c.kubectl(['get', 'pv', pvName])).code !== 0, 30_000);
    assert.equal(existsSync(dir), false, `${dir} is gone`);
    assert.ok(existsSync(storage), 'the storage directory itself stays');
  });

  void it('keeps the data of a volume deleted while its claim exists until the claim goes', async () => {
    await c.kubectlOk(['apply', '-n', 'store', '-f', '-'], {
      input: `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: early}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Mi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: early}
spec:
  restartPolicy: Never
  volumes: [{name: d, persistentVolumeClaim: {claimName: early}}]
  containers: [{name: c, image: busybox, command: [sh, -c, 'echo v > /data/f'], volumeMounts: [{name: d, mountPath: /data}]}]
`,
    });
    await eventually(async () => (await c.kubectlOk(['get', 'pod', 'early', '-n', 'store', '-o', 'jsonpath={.status.phase}'])) === 'Succeeded', 60_000);
    const pvName = (await c.kubectlOk(['get', 'pvc', 'early', '-n', 'store', '-o', 'jsonpath={.spec.volumeName}'])).trim();
    const dir = join(storage, `${pvName}_store_early`);
    await c.kubectlOk(['delete', 'pv', pvName, '--wait=false']);
    // Terminating but Bound: the node leaves the data alone (it re-reads the volume on every change).
    await c.kubectlOk(['annotate', 'pv', pvName, 'poke=1']);
    const terminating = JSON.parse(await c.kubectlOk(['get', 'pv', pvName, '-o', 'json'])) as { metadata: { deletionTimestamp?: string }; status?: { phase?: string } };
    assert.ok(terminating.metadata.deletionTimestamp);
    assert.equal(terminating.status?.phase, 'Bound');
    assert.equal(readFileSync(join(dir, 'f'), 'utf8'), 'v\n');
    await c.kubectlOk(['delete', 'pod', 'early', '-n', 'store', '--grace-period=1', '--timeout=60s']);
    await c.kubectlOk(['delete', 'pvc', 'early', '-n', 'store', '--timeout=60s']);
    await eventually(async () => (await c.kubectl(['get', 'pv', pvName])).code !== 0, 30_000);
    assert.equal(existsSync(dir), false, `${dir} is gone`);
  });
});
