/**
 * KubeDirector end to end, with real kubectl on a runc node: the CRDs are installed with one `kubectl apply`, the
 * operator shows up as the `kubedirector-<node>` pod, the example app (two roles: a controller and workers, its
 * busybox-based stand-in image made offline) and a 1+2 cluster are created; invalid clusters are refused with
 * KubeDirector's messages; the cluster becomes one StatefulSet per role, a headless Service and a NodePort Service
 * per member, workers a bound claim each; members run with their configmeta at /etc/guestconfig and the status
 * reaches `configured`; a
 * member's service answers from the host; scaling workers 2→3 adds member 2; deleting the cluster removes
 * everything it made. The seed's v1alpha1 group (roles give `replicas`) works the same way.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addExampleStandIns } from '../../src/boot/images.js';
import { containerHostMissing } from '../harness/host-tools.js';
import { httpGetBody } from '../harness/http-get.js';
import { cleanupRuncNode } from '../harness/runc-node.js';
import { eventually, REPO_ROOT, TestCluster } from '../harness/test-cluster.js';

const skip = containerHostMissing();
const EXAMPLES = join(REPO_ROOT, 'examples', 'kubedirector');
const LABEL = 'kubedirector.hpe.com/kdcluster=hello';
const KD_HELLO_IMAGE = 'docker.io/tkube/kd-hello:1.0';

interface Named {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}
interface ClusterStatus {
  state?: string;
  roles?: { id: string; statefulSet: string; members: { pod: string; service: string; state: string }[] }[];
}

void describe('KubeDirector operator on a runc node', { skip }, () => {
  let c: TestCluster;
  const node = `tkube-kd-${process.pid}`;
  before(async () => {
    c = await TestCluster.start({ agent: true, args: ['--container-runtime', 'runc', '--node-name', node] });
  });
  after(async () => {
    if (!c) return;
    await c.kubectl(['delete', 'kubedirectorclusters.kubedirector.hpe.com,kubedirectorclusters.kubedirector.bluedata.io', '--all', '--timeout=30s']);
    await c.kubectl(['delete', 'statefulsets,pods', '--all', '--grace-period=1', '--wait=true', '--timeout=60s']);
    await cleanupRuncNode(c);
  });

  const items = async (args: string[]): Promise<Named[]> => (JSON.parse(await c.kubectlOk(['get', ...args, '-o', 'json'])) as { items: Named[] }).items;
  const status = async (): Promise<ClusterStatus> => (JSON.parse(await c.kubectlOk(['get', 'kubedirectorcluster', 'hello', '-o', 'json'])) as { status?: ClusterStatus }).status ?? {};

  void it('installs with one command, refuses invalid clusters, runs, scales and deletes a cluster', async () => {
    await eventually(async () => /\sReady\s/.test(await c.kubectlOk(['get', 'node', node])), 30_000);
    // `tkube images stand-ins` (in-process): the example's image, built offline from busybox.
    assert.ok((await addExampleStandIns(c.dataDir)).some((i) => i.refs.includes(KD_HELLO_IMAGE)));
    await c.kubectlOk(['apply', '-f', join(EXAMPLES, 'deploy.yaml')]);
    // The operator is visible where KubeDirector's walkthrough looks: `kubectl get pods`.
    await eventually(async () => /^kubedirector-\S+\s+1\/1\s+Running/m.test(await c.kubectlOk(['get', 'pods'])), 30_000, 250);

    // Admission: the app must exist, roles must be the app's, members within the role's cardinality.
    await c.kubectlOk(['create', '-f', join(EXAMPLES, 'kd-hello-app.yaml')]);
    const invalid = async (patch: (cl: Record<string, unknown>) => void): Promise<string> => {
      const cl = { apiVersion: 'kubedirector.hpe.com/v1beta1', kind: 'KubeDirectorCluster', metadata: { name: 'bad' }, spec: { app: 'kd-hello', roles: [{ id: 'controller', members: 1, resources: { limits: { cpu: '1', memory: '64Mi' } } }] } };
      patch(cl as Record<string, unknown>);
      const r = await c.kubectl(['create', '-f', '-'], { input: JSON.stringify(cl) });
      assert.notEqual(r.code, 0);
      return r.stderr.trim();
    };
    assert.equal(
      await invalid((cl) => ((cl['spec'] as Record<string, unknown>)['app'] = 'nope')),
      'Error from server (Forbidden): error when creating "STDIN": kubedirectorclusters.kubedirector.hpe.com "bad" is forbidden: Invalid app(nope). This app resource ID has not been registered.',
    );
    assert.match(
      await invalid((cl) => ((cl['spec'] as { roles: Record<string, unknown>[] }).roles[0]!['id'] = 'gpu')),
      /is forbidden: Invalid role\(gpu\) in app\(kd-hello\) specified\. Valid roles: "controller,worker"$/,
    );
    assert.match(
      await invalid((cl) => ((cl['spec'] as { roles: Record<string, unknown>[] }).roles[0]!['members'] = 2)),
      /is forbidden: Invalid member count for role\(controller\)\. Specified member count:2 Role cardinality:1$/,
    );

    await c.kubectlOk(['create', '-f', join(EXAMPLES, 'kd-hello-cluster.yaml')]);
    assert.match(await c.kubectlOk(['get', 'KubeDirectorApp']), /^kd-hello\s+Hello KubeDirector\s+1\.0\s/m);
    assert.match(await c.kubectlOk(['get', 'kubedirectorcluster']), /^NAME\s+APP\s+STATE\s+AGE\nhello\s+kd-hello\s/);

    // Shapes: a StatefulSet per role, the headless cluster Service, a NodePort Service per member.
    const sets = await eventually(async () => {
      const s = await items(['statefulsets', '-l', LABEL]);
      return s.length === 2 ? s : undefined;
    }, 20_000);
    const byRole = new Map(sets.map((s) => [s.metadata.labels?.['kubedirector.hpe.com/role'], s]));
    const controllerSet = byRole.get('controller')?.metadata.name ?? '';
    const workerSet = byRole.get('worker')?.metadata.name ?? '';
    assert.match(controllerSet, /^hello-controller-[a-z0-9]{5}$/);
    assert.match(workerSet, /^hello-worker-[a-z0-9]{5}$/);
    assert.equal(byRole.get('controller')?.spec?.['replicas'], 1);
    assert.equal(byRole.get('worker')?.spec?.['replicas'], 2);
    const container = (byRole.get('worker')?.spec?.['template'] as { spec: { containers: { image: string; resources: unknown }[] } }).spec.containers[0];
    assert.equal(container?.image, KD_HELLO_IMAGE);
    assert.deepEqual(container?.resources, { requests: { cpu: '50m', memory: '32Mi' }, limits: { cpu: '200m', memory: '64Mi' } });
    const services = await eventually(async () => {
      const s = await items(['services', '-l', LABEL]);
      return s.length === 4 ? s : undefined;
    }, 20_000);
    const svc = new Map(services.map((s) => [s.metadata.name, s.spec ?? {}]));
    assert.equal(svc.get('hello')?.['clusterIP'], 'None');
    assert.deepEqual([...svc.keys()].sort(), ['hello', `s-${controllerSet}-0`, `s-${workerSet}-0`, `s-${workerSet}-1`]);
    assert.equal(svc.get(`s-${controllerSet}-0`)?.['type'], 'NodePort');
    assert.equal((svc.get(`s-${workerSet}-1`)?.['ports'] as { port: number }[])[0]?.port, 9090);

    // Members run; the status walks to configured.
    const configured = await eventually(async () => {
      const s = await status();
      return s.state === 'configured' ? s : undefined;
    }, 60_000, 250);
    assert.deepEqual(
      configured.roles?.map((r) => [r.id, r.members.map((m) => [m.pod, m.state])]),
      [
        ['controller', [[`${controllerSet}-0`, 'configured']]],
        ['worker', [[`${workerSet}-0`, 'configured'], [`${workerSet}-1`, 'configured']]],
      ],
    );
    assert.match(await c.kubectlOk(['describe', 'kubedirectorcluster', 'hello']), /State:\s+configured/);
    const meta = JSON.parse(await c.kubectlOk(['exec', `${workerSet}-1`, '--', 'cat', '/etc/guestconfig/configmeta.json'])) as { nodegroups: Record<string, { roles: Record<string, { hostnames: string[] }> }> };
    assert.deepEqual(meta.nodegroups['1']?.roles['worker']?.hostnames, [`${workerSet}-0`, `${workerSet}-1`]);

    // Workers asked for storage: a claim per member, bound, mounted at the app's persistDirs.
    const claims = await items(['persistentvolumeclaims', '-l', LABEL]);
    assert.deepEqual(claims.map((p) => [p.metadata.name, (p.status as { phase?: string } | undefined)?.phase]).sort(), [
      [`kd-storage-${workerSet}-0`, 'Bound'],
      [`kd-storage-${workerSet}-1`, 'Bound'],
    ]);
    await c.kubectlOk(['exec', `${workerSet}-0`, '--', 'sh', '-c', 'echo kept > /data/f && grep -q " /data " /proc/mounts']);

    // A member's service from the host.
    const nodePort = Number(await c.kubectlOk(['get', 'service', `s-${controllerSet}-0`, '-o', 'jsonpath={.spec.ports[0].nodePort}']));
    const body = await eventually(() => httpGetBody('127.0.0.1', nodePort), 20_000, 250);
    assert.equal(body, `hello from ${controllerSet}-0, role controller of KubeDirectorCluster hello (app kd-hello)`);

    // Updates are checked too: the controller role is exactly 1.
    const over = await c.kubectl(['patch', 'kubedirectorcluster', 'hello', '--type=json', '-p', '[{"op":"replace","path":"/spec/roles/0/members","value":2}]']);
    assert.equal(
      over.stderr.trim(),
      'Error from server (Forbidden): kubedirectorclusters.kubedirector.hpe.com "hello" is forbidden: Invalid member count for role(controller). Specified member count:2 Role cardinality:1',
    );

    // Scale workers 2 → 3.
    await c.kubectlOk(['patch', 'kubedirectorcluster', 'hello', '--type=json', '-p', '[{"op":"replace","path":"/spec/roles/1/members","value":3}]']);
    const scaled = await eventually(async () => {
      const s = await status();
      return s.state === 'configured' && s.roles?.[1]?.members.length === 3 ? s : undefined;
    }, 40_000, 250);
    assert.equal(scaled.roles?.[1]?.members[2]?.pod, `${workerSet}-2`);
    await c.kubectlOk(['get', 'service', `s-${workerSet}-2`]);

    // Delete: everything the cluster made goes.
    await c.kubectlOk(['delete', 'kubedirectorcluster', 'hello', '--timeout=30s']);
    await eventually(async () => {
      const left = [...(await items(['statefulsets,services,configmaps,pods,persistentvolumeclaims', '-l', LABEL]))];
      return left.length === 0;
    }, 40_000, 250);
  });

  void it("serves the seed's v1alpha1 API too: roles give replicas", async () => {
    await c.kubectlOk(['apply', '-f', join(EXAMPLES, 'deploy-v1alpha1.yaml')]);
    await c.kubectlOk(['create', '-f', join(EXAMPLES, 'kd-hello-app-v1alpha1.yaml')]);
    const alpha = 'kubedirectorclusters.kubedirector.bluedata.io';
    const cl = { apiVersion: 'kubedirector.bluedata.io/v1alpha1', kind: 'KubeDirectorCluster', metadata: { name: 'seed' }, spec: { app: 'kd-hello', roles: [{ id: 'controller', replicas: 1, resources: { limits: { cpu: '200m', memory: '64Mi' } } }] } };
    await c.kubectlOk(['create', '-f', '-'], { input: JSON.stringify(cl) });
    const state = await eventually(async () => {
      const s = (JSON.parse(await c.kubectlOk(['get', alpha, 'seed', '-o', 'json'])) as { status?: ClusterStatus }).status;
      return s?.state === 'configured' ? s : undefined;
    }, 40_000, 250);
    assert.match(state.roles?.[0]?.members[0]?.pod ?? '', /^seed-controller-[a-z0-9]{5}-0$/);
    const sets = await items(['statefulsets', '-l', 'kubedirector.bluedata.io/kdcluster=seed']);
    assert.equal(sets[0]?.spec?.['replicas'], 1);
    const refused = await c.kubectl(['patch', alpha, 'seed', '--type=json', '-p', '[{"op":"replace","path":"/spec/roles/0/replicas","value":3}]']);
    assert.match(refused.stderr, /kubedirectorclusters\.kubedirector\.bluedata\.io "seed" is forbidden: Invalid member count for role\(controller\)\. Specified member count:3 Role cardinality:1/);
    await c.kubectlOk(['delete', alpha, 'seed', '--timeout=30s']);
    await eventually(async () => (await items(['statefulsets,services,pods', '-l', 'kubedirector.bluedata.io/kdcluster=seed'])).length === 0, 30_000, 250);
  });
});
