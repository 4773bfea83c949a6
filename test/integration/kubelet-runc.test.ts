/**
 * A real node (`tkube server --container-runtime runc`) with real kubectl: a busybox pod runs in a runc container
 * from the built-in image, a pod that exits ends Succeeded, `kubectl logs` (--tail, --timestamps, --previous)
 * reads its output through the node's kubelet endpoint, the node reports its images (node.status.images), a crashing container is restarted with back-off
 * (CrashLoopBackOff), and deleting pods removes their containers, network namespaces and mounts.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { containerHostMissing } from '../harness/host-tools.js';
import { cleanupRuncNode } from '../harness/runc-node.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const skip = containerHostMissing();

interface PodJson {
  status?: { phase?: string; podIP?: string; containerStatuses?: { restartCount: number; containerID?: string; state: { waiting?: { reason: string }; running?: unknown }; lastState: { terminated?: { exitCode: number } } }[] };
}

void describe('kubelet with the runc runtime', { skip }, () => {
  let c: TestCluster;
  const node = `tkube-it-${process.pid}`;
  before(async () => {
    c = await TestCluster.start({ agent: true, args: ['--container-runtime', 'runc', '--node-name', node, '--kubelet-port', '0'] });
  });
  after(async () => {
    if (!c) return;
    await c.kubectl(['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=60s']);
    await cleanupRuncNode(c);
  });

  const pod = async (name: string): Promise<PodJson> => JSON.parse(await c.kubectlOk(['get', 'pod', name, '-o', 'json'])) as PodJson;

  void it('registers a Ready node and runs busybox pods in runc containers', async () => {
    await eventually(async () => /\sReady\s/.test(await c.kubectlOk(['get', 'node', node])), 30_000);
    // node.status.images: the node's images (repo digests and tags), largest first.
    assert.match(await c.kubectlOk(['get', 'node', node, '-o', 'jsonpath={.status.images[*].names}']), /docker\.io\/library\/busybox:latest/);
    const sizes = (JSON.parse(await c.kubectlOk(['get', 'node', node, '-o', 'jsonpath={.status.images}'])) as { sizeBytes: number }[]).map((i) => i.sizeBytes);
    assert.deepEqual(sizes, [...sizes].sort((a, b) => b - a));
    await c.kubectlOk(['run', 'sleeper', '--image=busybox', '--', 'sleep', '3600']);
    const running = await eventually(async () => {
      const p = await pod('sleeper');
      return p.status?.phase === 'Running' ? p : undefined;
    }, 60_000);
    assert.match(running.status?.containerStatuses?.[0]?.containerID ?? '', /^runc:\/\/[0-9a-f]{32}$/);
    assert.ok(running.status?.podIP);
    await c.kubectlOk(['run', 'once', '--image=busybox', '--restart=Never', '--', 'sh', '-c', 'echo first; echo oops >&2; echo done']);
    await eventually(async () => (await pod('once')).status?.phase === 'Succeeded', 60_000);
    // kubectl logs goes API server → the node's kubelet endpoint → the CRI log file.
    // stdout and stderr are separate pipes, so their relative order is not fixed (as with any CRI runtime).
    assert.deepEqual((await c.kubectlOk(['logs', 'once'])).split('\n').sort(), ['', 'done', 'first', 'oops']);
    assert.match(await c.kubectlOk(['logs', 'once', '--tail=1', '--timestamps']), /^\d{4}-\d\d-\d\dT[\d:.]+Z (done|oops)\n$/);
    const none = await c.kubectl(['logs', 'once', '--previous']);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /previous terminated container "once" in pod "once" not found/);
  });

  void it('restarts a crashing container with back-off and tears pods down on delete', async () => {
    await c.kubectlOk(['run', 'crasher', '--image=busybox', '--', 'sh', '-c', 'echo boom; exit 1']);
    const crashed = await eventually(async () => {
      const s = (await pod('crasher')).status?.containerStatuses?.[0];
      return s && s.restartCount >= 1 && s.state.waiting?.reason === 'CrashLoopBackOff' ? s : undefined;
    }, 90_000);
    assert.equal(crashed.lastState.terminated?.exitCode, 1);
    assert.equal(await c.kubectlOk(['logs', 'crasher']), 'boom\n');
    assert.equal(await c.kubectlOk(['logs', 'crasher', '--previous']), 'boom\n');
    await c.kubectlOk(['delete', 'pod', 'sleeper', 'crasher', '--grace-period=1', '--timeout=60s']);
    await eventually(async () => readdirSync(join(c.dataDir, 'agent', 'runc', 'containers')).length <= 1, 30_000);
  });
});
