/**
 * Deployments through real kubectl on a server with simulated nodes: a rollout completes (`kubectl rollout status`),
 * an image change rolls forward with a second revision, `rollout history` and `rollout undo` go back, a paused
 * Deployment does not roll until resumed, `rollout restart` rolls, Recreate replaces every pod, and deleting the
 * Deployment removes its ReplicaSets and pods (garbage collector).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, TestCluster } from '../harness/test-cluster.js';

interface RsView {
  name: string;
  revision: string;
  replicas: number;
  image: string;
}

describe('Deployment controller', () => {
  let c: TestCluster;
  const ns = ['-n', 'default'];
  const replicaSets = async (app: string): Promise<RsView[]> => {
    const list = JSON.parse(await c.kubectlOk(['get', 'rs', ...ns, '-l', `app=${app}`, '-o', 'json'])) as {
      items: { metadata: { name: string; annotations?: Record<string, string> }; spec: { replicas?: number; template: { spec: { containers: { image: string }[] } } } }[];
    };
    return list.items.map((rs) => ({
      name: rs.metadata.name,
      revision: rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? '',
      replicas: rs.spec.replicas ?? 0,
      image: rs.spec.template.spec.containers[0]?.image ?? '',
    }));
  };
  const rolloutStatus = async (name: string): Promise<void> => {
    const r = await c.kubectl(['rollout', 'status', `deployment/${name}`, ...ns, '--timeout=90s'], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, `rollout status: ${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /successfully rolled out/);
  };
  const podImages = async (app: string): Promise<string[]> =>
    (await c.kubectlOk(['get', 'pods', ...ns, '-l', `app=${app}`, '-o', 'jsonpath={range .items[*]}{.spec.containers[0].image}{"\\n"}{end}'])).split('\n').filter(Boolean).sort();

  before(async () => {
    c = await TestCluster.start({ args: ['--simulated-nodes', '2'] });
  });
  after(async () => {
    await c?.stop();
  });

  it('rolls out, rolls forward to a new image, and undoes', async () => {
    await c.kubectlOk(['create', 'deployment', 'web', '--image=nginx:1.26', '--replicas=4', ...ns]);
    await rolloutStatus('web');
    assert.deepEqual(await podImages('web'), ['nginx:1.26', 'nginx:1.26', 'nginx:1.26', 'nginx:1.26']);

    await c.kubectlOk(['set', 'image', 'deployment/web', 'nginx=nginx:1.27', ...ns]);
    await rolloutStatus('web');
    await eventually(async () => (await podImages('web')).join() === 'nginx:1.27,nginx:1.27,nginx:1.27,nginx:1.27', 60_000);
    const rs = await replicaSets('web');
    assert.equal(rs.length, 2);
    assert.deepEqual(rs.map((r) => [r.image, r.revision, r.replicas]).sort(), [['nginx:1.26', '1', 0], ['nginx:1.27', '2', 4]]);
    const history = await c.kubectlOk(['rollout', 'history', 'deployment/web', ...ns]);
    assert.match(history, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);

    await c.kubectlOk(['rollout', 'undo', 'deployment/web', ...ns]);
    await rolloutStatus('web');
    await eventually(async () => (await podImages('web')).join() === 'nginx:1.26,nginx:1.26,nginx:1.26,nginx:1.26', 60_000);
    // The first ReplicaSet is current again, under the next revision.
    const after = await replicaSets('web');
    assert.deepEqual(after.map((r) => [r.image, r.revision]).sort(), [['nginx:1.26', '3'], ['nginx:1.27', '2']]);
    assert.equal(await c.kubectlOk(['get', 'deployment', 'web', ...ns, '-o', 'jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}']), '3');
  });

  it('a paused Deployment waits for resume; rollout restart rolls the pods', async () => {
    await c.kubectlOk(['rollout', 'pause', 'deployment/web', ...ns]);
    await c.kubectlOk(['set', 'image', 'deployment/web', 'nginx=nginx:1.28', ...ns]);
    await eventually(async () => {
      const d = JSON.parse(await c.kubectlOk(['get', 'deployment', 'web', ...ns, '-o', 'json'])) as { status: { conditions?: { type: string; reason: string }[] } };
      return d.status.conditions?.some((x) => x.type === 'Progressing' && x.reason === 'DeploymentPaused');
    });
    assert.ok((await replicaSets('web')).every((r) => r.image !== 'nginx:1.28'), 'no ReplicaSet for the new image while paused');
    await c.kubectlOk(['rollout', 'resume', 'deployment/web', ...ns]);
    await rolloutStatus('web');
    await eventually(async () => (await podImages('web')).join() === 'nginx:1.28,nginx:1.28,nginx:1.28,nginx:1.28', 60_000);

    const before = (await replicaSets('web')).length;
    await c.kubectlOk(['rollout', 'restart', 'deployment/web', ...ns]);
    await rolloutStatus('web');
    assert.equal((await replicaSets('web')).length, before + 1);
  });

  it('Recreate scales the old ReplicaSet to zero before the new one comes up', async () => {
    await c.kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'batch', namespace: 'default' },
        spec: {
          replicas: 2,
          strategy: { type: 'Recreate' },
          selector: { matchLabels: { app: 'batch' } },
          template: { metadata: { labels: { app: 'batch' } }, spec: { containers: [{ name: 'w', image: 'busybox:1.36' }] } },
        },
      }),
    });
    await rolloutStatus('batch');
    await c.kubectlOk(['set', 'image', 'deployment/batch', 'w=busybox:1.37', ...ns]);
    await rolloutStatus('batch');
    await eventually(async () => (await podImages('batch')).join() === 'busybox:1.37,busybox:1.37', 60_000);
    const events = await c.kubectlOk(['get', 'events', ...ns, '--field-selector', 'involvedObject.name=batch', '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}']);
    assert.match(events, /Scaled down replica set batch-\w+ to 0 from 2/);
    assert.match(events, /Scaled up replica set batch-\w+ to 2 from 0/);
  });

  it('a scale mid-rollout is spread over the old and new ReplicaSets in proportion', async () => {
    // minReadySeconds keeps new pods unavailable and maxUnavailable 0 keeps the old ones: the rollout stalls at the surge.
    await c.kubectlOk(['apply', ...ns, '-f', '-'], {
      input: `apiVersion: apps/v1
kind: Deployment
metadata: {name: prop, labels: {app: prop}}
spec:
  replicas: 10
  minReadySeconds: 3600
  progressDeadlineSeconds: 7200
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 3, maxUnavailable: 0}}
  selector: {matchLabels: {app: prop}}
  template:
    metadata: {labels: {app: prop}}
    spec: {containers: [{name: c, image: "busybox:1.35"}]}
`,
    });
    await eventually(async () => (await replicaSets('prop')).some((r) => r.replicas === 10), 30_000);
    await c.kubectlOk(['set', 'image', 'deployment/prop', 'c=busybox:1.36', ...ns]);
    const sizes = async (): Promise<string> => (await replicaSets('prop')).map((r) => `${r.image}=${r.replicas}`).sort().join(',');
    await eventually(async () => (await sizes()) === 'busybox:1.35=10,busybox:1.36=3', 30_000);
    await c.kubectlOk(['scale', 'deployment/prop', '--replicas=20', ...ns]);
    // 20 + 3 surge = 23: the old one grows to ceil(10 × 23 / 13) = 18, the new one gets the 5 left.
    await eventually(async () => (await sizes()) === 'busybox:1.35=18,busybox:1.36=5', 30_000);
    await c.kubectlOk(['delete', 'deployment', 'prop', ...ns]);
  });

  it('deleting a Deployment removes its ReplicaSets and pods', async () => {
    await c.kubectlOk(['delete', 'deployment', 'web', ...ns]);
    await eventually(async () => (await replicaSets('web')).length === 0 && (await podImages('web')).length === 0, 60_000);
  });
});
