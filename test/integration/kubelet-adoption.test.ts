/**
 * The node agent survives its own death: with 20 pods running (a Deployment of 3 replicas among them), the
 * server process — which embeds the kubelet — is killed with SIGKILL and started again on the same data dir.
 * The new kubelet adopts the running containers: every container keeps its ID, its process and a restartCount
 * of 0, and the Deployment stays at 3 ready replicas.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { containerHostMissing } from '../harness/host-tools.js';
import { cleanupRuncNode } from '../harness/runc-node.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const skip = containerHostMissing();

interface PodList {
  items: { metadata: { name: string }; status?: { phase?: string; containerStatuses?: { containerID?: string; restartCount: number; state: { running?: { startedAt: string } } }[] } }[];
}

void describe('kubelet adoption after kill -9', { skip }, () => {
  let c: TestCluster;
  const node = `tkube-adopt-${process.pid}`;
  const args = ['--container-runtime', 'runc', '--node-name', node];
  before(async () => {
    c = await TestCluster.start({ agent: true, args });
  });
  after(async () => {
    if (!c) return;
    await c.kubectl(['delete', 'deployment,pods', '--all', '--grace-period=1', '--wait=true', '--timeout=90s']);
    await cleanupRuncNode(c);
  });

  const pods = async (): Promise<PodList['items']> => (JSON.parse(await c.kubectlOk(['get', 'pods', '-o', 'json'])) as PodList).items;

  void it('keeps 20 running containers, unrestarted, across a SIGKILL of the agent', async () => {
    await eventually(async () => /\sReady\s/.test(await c.kubectlOk(['get', 'node', node])), 30_000);
    await c.kubectlOk(['create', 'deployment', 'web', '--image=busybox', '--replicas=3', '--', 'sleep', '3600']);
    const manifests = Array.from({ length: 17 }, (_, i) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}` }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', '3600'] }] } }));
    await c.kubectlOk(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifests }) });
    const before = await eventually(async () => {
      const items = await pods();
      return items.length === 20 && items.every((p) => p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.state.running) ? items : undefined;
    }, 180_000);
    const ids = new Map(before.map((p) => [p.metadata.name, p.status?.containerStatuses?.[0]?.containerID]));

    await c.restart('SIGKILL', { agent: true, args });
    // The restarted kubelet reports again (its Node heartbeats), and every pod is Running with the same container.
    await eventually(async () => /\sReady\s/.test(await c.kubectlOk(['get', 'node', node])), 60_000);
    const afterKill = await eventually(async () => {
      const items = await pods();
      return items.length === 20 && items.every((p) => p.status?.phase === 'Running') ? items : undefined;
    }, 60_000);
    for (const p of afterKill) {
      const s = p.status?.containerStatuses?.[0];
      assert.equal(s?.restartCount, 0, `${p.metadata.name} was restarted`);
      assert.equal(s?.containerID, ids.get(p.metadata.name), `${p.metadata.name} got a new container`);
    }
    // Later syncs change nothing either: a pod created now runs (so the new kubelet's workers have synced since),
    // and the 20 keep their containers.
    await c.kubectlOk(['run', 'late', '--image=busybox:1.36', '--', 'sleep', '3600']);
    await eventually(async () => ((await pods()).find((p) => p.metadata.name === 'late')?.status?.phase === 'Running' ? true : undefined), 60_000);
    const later = (await pods()).filter((p) => p.metadata.name !== 'late');
    assert.equal(later.length, 20);
    assert.ok(later.every((p) => p.status?.containerStatuses?.[0]?.restartCount === 0 && p.status.containerStatuses[0].containerID === ids.get(p.metadata.name)));
    assert.match(await c.kubectlOk(['get', 'deployment', 'web', '-o', 'jsonpath={.status.readyReplicas}']), /^3$/);
  });
});
