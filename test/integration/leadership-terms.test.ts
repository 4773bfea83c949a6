/**
 * A second leadership term in the same process: the server's controller manager and scheduler lose their Leases to
 * another holder and take them back once that holder stops renewing. The second term reads the process's shared
 * informers through a scope of its own (the first term's handlers removed with its scope), so it must still see
 * every object and react to changes: a ReplicaSet scaled after the takeover gets its pods created and scheduled, and
 * a deleted pod is replaced.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, TestCluster } from '../harness/test-cluster.js';

interface LeaseJson {
  metadata: Record<string, unknown>;
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

interface PodList {
  items: { metadata: { name: string; deletionTimestamp?: string }; spec: { nodeName?: string }; status: { phase?: string } }[];
}

const RS = `apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: terms
spec:
  replicas: 1
  selector:
    matchLabels: { app: terms }
  template:
    metadata:
      labels: { app: terms }
    spec:
      containers:
      - name: main
        image: busybox:1.36
`;

void describe('leadership terms of the in-process controller manager and scheduler', () => {
  let c: TestCluster;
  before(async () => {
    c = await TestCluster.start({
      args: ['--simulated-nodes', '1', '--leader-elect-lease-duration', '3s', '--leader-elect-renew-deadline', '2s', '--leader-elect-retry-period', '500ms'],
    });
  });
  after(async () => {
    await c?.stop();
  });

  const runningPods = async (): Promise<PodList['items']> => {
    const list = JSON.parse(await c.kubectlOk(['get', 'pods', '-l', 'app=terms', '-o', 'json'])) as PodList;
    return list.items.filter((p) => p.status.phase === 'Running' && p.spec.nodeName && !p.metadata.deletionTimestamp);
  };
  const lease = async (name: string): Promise<LeaseJson> => JSON.parse(await c.kubectlOk(['get', 'lease', '-n', 'kube-system', name, '-o', 'json'])) as LeaseJson;

  void it('creates and schedules pods again after both Leases were taken away and won back', async () => {
    await c.kubectlOk(['apply', '-f', '-'], { input: RS });
    await eventually(async () => (await runningPods()).length === 1, 60_000, 250);

    const names = ['kube-controller-manager', 'kube-scheduler'];
    const ours = new Map<string, string>();
    for (const name of names) {
      // Another holder renews the Lease "now": the server's elector cannot renew, stops leading, and takes the Lease
      // back once this holder's 3 s are up (it never renews). A conflict means the elector renewed in between.
      await eventually(async () => {
        const l = await lease(name);
        ours.set(name, l.spec.holderIdentity ?? '');
        const now = new Date().toISOString().replace('Z', '000Z');
        const stolen = { ...l, spec: { ...l.spec, holderIdentity: 'someone-else', leaseDurationSeconds: 3, acquireTime: now, renewTime: now, leaseTransitions: (l.spec.leaseTransitions ?? 0) + 1 } };
        const r = await c.request(`/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${name}`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(stolen) });
        return r.status === 200;
      }, 20_000, 100);
    }
    for (const name of names) {
      await eventually(async () => (await lease(name)).spec.holderIdentity === ours.get(name), 60_000, 250);
    }

    await c.kubectlOk(['scale', 'replicaset', 'terms', '--replicas', '3']);
    await eventually(async () => (await runningPods()).length === 3, 60_000, 250);
    const [victim] = await runningPods();
    assert.ok(victim);
    await c.kubectlOk(['delete', 'pod', victim.metadata.name, '--wait=false']);
    await eventually(async () => {
      const pods = await runningPods();
      return pods.length === 3 && !pods.some((p) => p.metadata.name === victim.metadata.name);
    }, 60_000, 250);
  });
});
