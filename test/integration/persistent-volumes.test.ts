/**
 * PersistentVolumes with real kubectl and simulated nodes: a claim of the default `local-path` class waits for
 * its first pod, is provisioned on that pod's node (node affinity) and bound; a pre-made volume binds to a
 * matching claim; reclaim policy Retain leaves a Released volume, Delete removes it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, TestCluster } from '../harness/test-cluster.js';

interface Obj {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: Record<string, unknown> & { volumeName?: string; nodeName?: string; claimRef?: { name?: string } };
  status?: { phase?: string };
}

void describe('persistent volumes', () => {
  let c: TestCluster;
  before(async () => {
    c = await TestCluster.start({ args: ['--simulated-nodes', '2'] });
  });
  after(async () => {
    await c?.stop();
  });
  const get = async (args: string[]): Promise<Obj> => JSON.parse(await c.kubectlOk(['get', ...args, '-o', 'json'])) as Obj;

  void it('provisions a local-path volume on the node of the claim\'s first pod and binds it', async () => {
    const classes = await c.kubectlOk(['get', 'storageclass']);
    assert.match(classes, /^local-path \(default\)\s+tkube\.io\/local-path\s+Delete\s+WaitForFirstConsumer/m);
    await c.kubectlOk(['apply', '-f', '-'], {
      input: `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 2Gi}}}
`,
    });
    const pending = await get(['pvc', 'data']);
    assert.equal(pending.spec['storageClassName'], 'local-path');
    await eventually(async () => /WaitForFirstConsumer/.test(await c.kubectlOk(['describe', 'pvc', 'data'])), 10_000);
    await c.kubectlOk(['apply', '-f', '-'], {
      input: `apiVersion: v1
kind: Pod
metadata: {name: user}
spec:
  containers: [{name: c, image: busybox, volumeMounts: [{name: d, mountPath: /data}]}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]
`,
    });
    const bound = await eventually(async () => {
      const pvc = await get(['pvc', 'data']);
      return pvc.status?.phase === 'Bound' ? pvc : undefined;
    }, 20_000);
    const pod = await eventually(async () => {
      const p = await get(['pod', 'user']);
      return p.spec.nodeName ? p : undefined;
    }, 20_000);
    assert.equal(bound.metadata.annotations?.['volume.kubernetes.io/selected-node'], pod.spec.nodeName);
    const pv = await get(['pv', bound.spec.volumeName ?? '']);
    assert.equal(pv.status?.phase, 'Bound');
    assert.equal(pv.metadata.annotations?.['pv.kubernetes.io/provisioned-by'], 'tkube.io/local-path');
    assert.deepEqual(pv.spec['nodeAffinity'], { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [pod.spec.nodeName] }] }] } });
    assert.match(String((pv.spec['hostPath'] as { path: string }).path), new RegExp(`/pvc-[0-9a-f-]+_default_data$`));
    const table = await c.kubectlOk(['get', 'pvc', 'data']);
    assert.match(table, /^data\s+Bound\s+pvc-[0-9a-f-]+\s+2Gi\s+RWO\s+local-path/m);
    // Delete policy: the claim goes, then the volume.
    await c.kubectlOk(['delete', 'pod', 'user', '--grace-period=0', '--force']);
    await c.kubectlOk(['delete', 'pvc', 'data']);
    await eventually(async () => (await c.kubectl(['get', 'pv', bound.spec.volumeName ?? ''])).code !== 0, 20_000);
  });

  void it('binds a matching pre-made volume and leaves it Released under Retain', async () => {
    await c.kubectlOk(['apply', '-f', '-'], {
      input: `apiVersion: v1
kind: PersistentVolume
metadata: {name: manual-small, labels: {tier: gold}}
spec: {capacity: {storage: 1Gi}, accessModes: [ReadWriteOnce], persistentVolumeReclaimPolicy: Retain, storageClassName: "", hostPath: {path: /tmp/manual-small}}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: manual-big, labels: {tier: gold}}
spec: {capacity: {storage: 10Gi}, accessModes: [ReadWriteOnce], persistentVolumeReclaimPolicy: Retain, storageClassName: "", hostPath: {path: /tmp/manual-big}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: manual}
spec: {storageClassName: "", accessModes: [ReadWriteOnce], resources: {requests: {storage: 500Mi}}, selector: {matchLabels: {tier: gold}}}
`,
    });
    const claim = await eventually(async () => {
      const pvc = await get(['pvc', 'manual']);
      return pvc.status?.phase === 'Bound' ? pvc : undefined;
    }, 20_000);
    assert.equal(claim.spec.volumeName, 'manual-small', 'the smallest fitting volume wins');
    assert.equal(claim.metadata.annotations?.['pv.kubernetes.io/bind-completed'], 'yes');
    assert.equal((await get(['pv', 'manual-big'])).status?.phase, 'Available');
    await c.kubectlOk(['delete', 'pvc', 'manual']);
    await eventually(async () => (await get(['pv', 'manual-small'])).status?.phase === 'Released', 20_000);
  });
});
