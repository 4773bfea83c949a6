/**
 * StatefulSets through real kubectl on a server with simulated nodes: pods web-0..2 are created in order with their
 * own claims, scale down removes the highest ordinal first, a deleted pod comes back under its name, an image
 * change rolls from the highest ordinal down (ControllerRevisions, `rollout status|history|undo`), and a partition
 * holds the lower ordinals back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const SET = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    serviceName: 'web',
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.26' }] } },
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
  },
};

describe('StatefulSet controller', () => {
  let c: TestCluster;
  const ns = ['-n', 'default'];
  const pods = async (): Promise<{ name: string; image: string; created: string; ready: boolean }[]> => {
    const list = JSON.parse(await c.kubectlOk(['get', 'pods', ...ns, '-l', 'app=web', '-o', 'json'])) as {
      items: { metadata: { name: string; creationTimestamp: string; deletionTimestamp?: string }; spec: { containers: { image: string }[] }; status: { conditions?: { type: string; status: string }[] } }[];
    };
    return list.items
      .filter((p) => !p.metadata.deletionTimestamp)
      .map((p) => ({ name: p.metadata.name, image: p.spec.containers[0]?.image ?? '', created: p.metadata.creationTimestamp, ready: p.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false }))
      .sort((a, b) => a.name.localeCompare(b.name));
  };
  const rolloutStatus = async (): Promise<void> => {
    const r = await c.kubectl(['rollout', 'status', 'statefulset/web', ...ns, '--timeout=90s'], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  };

  before(async () => {
    c = await TestCluster.start({ args: ['--simulated-nodes', '2'] });
  });
  after(async () => {
    await c?.stop();
  });

  it('creates web-0, web-1, web-2 in order, each with its claim', async () => {
    await c.kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(SET) });
    await rolloutStatus();
    const ps = await pods();
    assert.deepEqual(ps.map((p) => p.name), ['web-0', 'web-1', 'web-2']);
    assert.ok(ps[0]!.created <= ps[1]!.created && ps[1]!.created <= ps[2]!.created);
    const claims = await c.kubectlOk(['get', 'pvc', ...ns, '-o', 'name']);
    assert.deepEqual(claims.trim().split('\n').sort(), ['persistentvolumeclaim/data-web-0', 'persistentvolumeclaim/data-web-1', 'persistentvolumeclaim/data-web-2']);
    const host = await c.kubectlOk(['get', 'pod', 'web-1', ...ns, '-o', 'jsonpath={.spec.hostname}.{.spec.subdomain}']);
    assert.equal(host, 'web-1.web');
  });

  it('brings a deleted pod back under its name, and scales down from the top', async () => {
    const uid = await c.kubectlOk(['get', 'pod', 'web-1', ...ns, '-o', 'jsonpath={.metadata.uid}']);
    // --wait=false: kubectl's wait for a deletion (GET, then list and watch by metadata.name) waits forever when the
    // pod is removed between its GET and its list and the controller re-creates the name at once — the new pod is
    // never deleted. A simulated node removes a pod within milliseconds, so under load that window is hit (about one
    // delete in ten); the UID check below is the wait that holds.
    await c.kubectlOk(['delete', 'pod', 'web-1', ...ns, '--wait=false']);
    await eventually(async () => {
      const now = await c.kubectl(['get', 'pod', 'web-1', ...ns, '-o', 'jsonpath={.metadata.uid}']);
      return now.code === 0 && now.stdout !== uid && now.stdout !== '';
    }, 60_000);
    await c.kubectlOk(['scale', 'statefulset', 'web', '--replicas=2', ...ns]);
    await eventually(async () => (await pods()).map((p) => p.name).join() === 'web-0,web-1', 60_000);
    // The claim stays (Retain), ready for scaling back up.
    await c.kubectlOk(['get', 'pvc', 'data-web-2', ...ns]);
    await c.kubectlOk(['scale', 'statefulset', 'web', '--replicas=3', ...ns]);
    await rolloutStatus();
  });

  it('rolls an image change from the highest ordinal down, and undoes it', async () => {
    await c.kubectlOk(['set', 'image', 'statefulset/web', 'nginx=nginx:1.27', ...ns]);
    await rolloutStatus();
    await eventually(async () => (await pods()).every((p) => p.image === 'nginx:1.27' && p.ready), 60_000);
    const history = await c.kubectlOk(['rollout', 'history', 'statefulset/web', ...ns]);
    assert.match(history, /1\s+<none>\n2\s+<none>/);
    await c.kubectlOk(['rollout', 'undo', 'statefulset/web', ...ns]);
    await rolloutStatus();
    await eventually(async () => (await pods()).every((p) => p.image === 'nginx:1.26' && p.ready), 60_000);
  });

  it('a partition keeps lower ordinals on the old revision', async () => {
    await c.kubectlOk(['patch', 'statefulset', 'web', ...ns, '--type=merge', '-p', '{"spec":{"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"partition":2}}}}']);
    await c.kubectlOk(['set', 'image', 'statefulset/web', 'nginx=nginx:1.28', ...ns]);
    await eventually(async () => (await pods()).map((p) => p.image).join() === 'nginx:1.26,nginx:1.26,nginx:1.28', 60_000);
    const status = JSON.parse(await c.kubectlOk(['get', 'statefulset', 'web', ...ns, '-o', 'jsonpath={.status}'])) as { updatedReplicas: number; currentRevision: string; updateRevision: string };
    assert.equal(status.updatedReplicas, 1);
    assert.notEqual(status.currentRevision, status.updateRevision);
  });
});
