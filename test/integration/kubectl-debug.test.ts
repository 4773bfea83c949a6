/**
 * Ephemeral containers with real kubectl on a runc node: `kubectl debug` adds a debug container to a running pod
 * (strategic-merge PATCH on pods/ephemeralcontainers), the kubelet starts it once in the pod's sandbox and reports
 * it in status.ephemeralContainerStatuses, `kubectl logs -c` reads it, `kubectl debug -it` attaches to it through a
 * pseudo-terminal, and the API refuses changing an ephemeral container that exists (422).
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { commandExists, containerHostMissing } from '../harness/host-tools.js';
import { runInPty } from '../harness/pty.js';
import { cleanupRuncNode } from '../harness/runc-node.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const skip = containerHostMissing() || (commandExists('python3') ? false : 'needs python3 (its pty module drives kubectl -it)');


interface ContainerStatusJson {
  name: string;
  ready: boolean;
  restartCount: number;
  state: { waiting?: { reason: string }; running?: unknown; terminated?: { exitCode: number } };
}
interface PodJson {
  metadata: { resourceVersion?: string };
  spec: { ephemeralContainers?: { name: string; image: string; command?: string[]; targetContainerName?: string }[] };
  status?: { phase?: string; ephemeralContainerStatuses?: ContainerStatusJson[] };
}

void describe('kubectl debug: ephemeral containers on a runc node', { skip }, () => {
  let c: TestCluster;
  const node = `tkube-debug-${process.pid}`;
  before(async () => {
    c = await TestCluster.start({ agent: true, args: ['--container-runtime', 'runc', '--node-name', node, '--kubelet-port', '0'] });
    await eventually(async () => /\sReady\s/.test(await c.kubectlOk(['get', 'node', node])), 30_000);
    await c.kubectlOk(['run', 'app', '--image=busybox', '--', 'sleep', '3600']);
    await c.kubectlOk(['wait', '--for=condition=Ready', 'pod/app', '--timeout=60s']);
  });
  after(async () => {
    if (!c) return;
    await c.kubectl(['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=60s']);
    await cleanupRuncNode(c);
  });

  const pod = async (name: string): Promise<PodJson> => JSON.parse(await c.kubectlOk(['get', 'pod', name, '-o', 'json'])) as PodJson;
  const ephemeralStatus = async (name: string, container: string): Promise<ContainerStatusJson | undefined> =>
    (await pod(name)).status?.ephemeralContainerStatuses?.find((s) => s.name === container);

  void it('kubectl debug adds a container that runs once in the pod and reports its status', async () => {
    const out = await c.kubectlOk(['debug', 'app', '--image=busybox:1.36', '-c', 'dbg', '--target=app', '--', 'sh', '-c', 'echo from-debug; sleep 30']);
    // kubectl warns that --target needs runtime support: the debug container does not share the target's PID namespace here.
    assert.match(out, /^Targeting container "app"/);
    const added = await pod('app');
    assert.deepEqual(added.spec.ephemeralContainers?.map((e) => [e.name, e.image, e.targetContainerName]), [['dbg', 'busybox:1.36', 'app']]);
    const running = await eventually(async () => {
      const s = await ephemeralStatus('app', 'dbg');
      return s?.state.running ? s : undefined;
    }, 60_000);
    assert.equal(running.ready, false);
    assert.equal(running.restartCount, 0);
    assert.equal(await eventually(async () => (await c.kubectlOk(['logs', 'app', '-c', 'dbg'])).includes('from-debug') || undefined, 30_000), true);
    // The app container is untouched, and the pod stays Running and Ready.
    assert.equal((await pod('app')).status?.phase, 'Running');
    await c.kubectlOk(['wait', '--for=condition=Ready', 'pod/app', '--timeout=10s']);
  });

  void it('kubectl debug -it attaches a terminal to the new container', async () => {
    const r = await runInPty('# ', 'echo "h""i"; exit\r', ['kubectl', '--kubeconfig', c.kubeconfig, 'debug', '-it', 'app', '--image=busybox', '-c', 'shell', '--', 'sh']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // The terminal echoes the typed line (`echo "h""i"`); only the command's output is the joined word. The line is
    // typed once the shell's prompt shows (redrawn when kubectl sends the terminal size), as a user would.
    assert.match(r.stdout, /^hi\r?$/m, r.stdout);
    // The shell exited: the container is terminated, and it is not restarted.
    const done = await eventually(async () => {
      const s = await ephemeralStatus('app', 'shell');
      return s?.state.terminated ? s : undefined;
    }, 30_000);
    assert.equal(done.state.terminated?.exitCode, 0);
    assert.equal(done.restartCount, 0);
  });

  void it('refuses changing or removing an existing ephemeral container (422)', async () => {
    const current = await pod('app');
    const list = current.spec.ephemeralContainers ?? [];
    assert.ok(list.length >= 1);
    const changed = list.map((e, i) => (i === 0 ? { ...e, command: ['sh', '-c', 'echo changed'] } : e));
    const path = '/api/v1/namespaces/default/pods/app/ephemeralcontainers';
    const put = (ephemeralContainers: unknown[]): Promise<{ status: number; body: string }> =>
      c.request(path, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...current, spec: { ...current.spec, ephemeralContainers } }) });
    const got = await c.request(path);
    assert.equal(got.status, 200, got.body);
    assert.equal((JSON.parse(got.body) as { kind: string }).kind, 'Pod');
    const change = await put(changed);
    assert.equal(change.status, 422, change.body);
    assert.match(change.body, /spec\.ephemeralContainers/);
    const removed = await put(list.slice(1));
    assert.equal(removed.status, 422, removed.body);
    // A strategic-merge patch (what kubectl debug sends) that changes the image is refused too.
    const patched = await c.request(path, { method: 'PATCH', headers: { 'content-type': 'application/strategic-merge-patch+json' }, body: JSON.stringify({ spec: { ephemeralContainers: [{ name: list[0]?.name, image: 'busybox:1.35' }] } }) });
    assert.equal(patched.status, 422, patched.body);
    // Nothing changed.
    assert.deepEqual((await pod('app')).spec.ephemeralContainers, list);
  });

  void it('stops ephemeral containers with the pod', async () => {
    const dir = join(c.dataDir, 'agent', 'runc', 'containers');
    // The app container and both debug containers' instances (one still running) are on the node.
    assert.ok(readdirSync(dir).length >= 3);
    await c.kubectlOk(['delete', 'pod', 'app', '--grace-period=1', '--timeout=60s']);
    assert.equal(await c.kubectlOk(['get', 'pods', '-o', 'name']), '');
    await eventually(async () => readdirSync(dir).length === 0, 30_000);
  });
});
