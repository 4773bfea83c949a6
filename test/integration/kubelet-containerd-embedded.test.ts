/**
 * A real node that starts its own containerd (`tkube server --container-runtime containerd`) with real kubectl:
 * a busybox pod's logs, and pods that keep running when the server is SIGKILLed and are adopted by the restarted
 * server (which replaces the containerd its predecessor left). Everything is removed afterwards.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startContainerd } from '../../src/agent/runtime/cri/containerd-daemon.js';
import { containerdHostMissing } from '../harness/host-tools.js';
import { deleteNodeTables, nodeTables } from '../harness/runc-node.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const skip = containerdHostMissing();

interface PodJson {
  status?: { phase?: string; podIP?: string; containerStatuses?: { ready: boolean; state: { running?: unknown; terminated?: { exitCode: number } } }[] };
}

void describe('kubelet with a containerd it starts itself (--container-runtime containerd)', { skip }, () => {
  let c: TestCluster | undefined;
  const node = `tkube-cde-${process.pid}`;
  const podUids: string[] = [];
  // Our own data dir (TestCluster would remove its own on stop, before the cleanup below could read it).
  const dataDir = mkdtempSync('/tmp/tkcde-');

  before(async () => {
    c = await TestCluster.start({ agent: true, dataDir, args: ['--container-runtime', 'containerd', '--node-name', node, '--kubelet-port', '0'] });
  });

  after(async () => {
    const tables = nodeTables(dataDir);
    if (c) {
      await c.kubectl(['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=60s']);
      await c.stop();
    }
    // The service proxy's and NetworkPolicy tables outlive the server by design.
    await deleteNodeTables(tables);
    // The server stopped its containerd and left pods running (as a node restart would want); start it once
    // more over the same dirs to remove whatever is left, then remove its mounts and bridge.
    const cd = join(dataDir, 'agent', 'containerd');
    if (existsSync(join(cd, 'config.toml'))) await (await startContainerd(cd)).stop();
    rmSync(dataDir, { recursive: true, force: true });
    const dirs = podUids.map((u) => `/sys/fs/cgroup/*/kubepods/pod${u}`).join(' ');
    execFileSync('sh', ['-c', `for d in ${dirs}; do rmdir "$d" 2>/dev/null; done; for d in /sys/fs/cgroup/*/kubepods; do rmdir "$d" 2>/dev/null; done; true`]);
  });

  void it('runs a busybox pod and serves its logs', async () => {
    const k = c as TestCluster;
    await eventually(async () => /\sReady\s/.test(await k.kubectlOk(['get', 'node', node])), 30_000);
    await k.kubectlOk(['run', 'hello', '--image=busybox', '--restart=Never', '--', 'sh', '-c', 'echo hello from containerd']);
    podUids.push((await k.kubectlOk(['get', 'pod', 'hello', '-o', 'jsonpath={.metadata.uid}'])).trim());
    await eventually(async () => (JSON.parse(await k.kubectlOk(['get', 'pod', 'hello', '-o', 'json'])) as PodJson).status?.phase === 'Succeeded', 90_000);
    assert.equal(await k.kubectlOk(['logs', 'hello']), 'hello from containerd\n');
  });

  void it('keeps pods running when the server is killed and adopts them after a restart', async () => {
    const k = c as TestCluster;
    await k.kubectlOk(['run', 'survivor', '--image=busybox', '--', 'sh', '-c', 'echo up; exec sleep 3600']);
    podUids.push((await k.kubectlOk(['get', 'pod', 'survivor', '-o', 'jsonpath={.metadata.uid}'])).trim());
    const before = await eventually(async () => {
      const p = JSON.parse(await k.kubectlOk(['get', 'pod', 'survivor', '-o', 'json'])) as PodJson & { status?: { containerStatuses?: { containerID?: string }[] } };
      return p.status?.phase === 'Running' ? p.status.containerStatuses?.[0]?.containerID : undefined;
    }, 90_000);
    // SIGKILL: the server cannot stop its containerd, which the restarted server replaces (pods stay up).
    await k.restart('SIGKILL', { agent: true, dataDir, args: ['--container-runtime', 'containerd', '--node-name', node, '--kubelet-port', '0'] });
    await eventually(async () => /\sReady\s/.test(await k.kubectlOk(['get', 'node', node])), 60_000);
    const after = JSON.parse(await k.kubectlOk(['get', 'pod', 'survivor', '-o', 'json'])) as PodJson & { status?: { containerStatuses?: { containerID?: string; restartCount?: number }[] } };
    assert.equal(after.status?.phase, 'Running');
    assert.equal(after.status?.containerStatuses?.[0]?.containerID, before);
    assert.equal(after.status?.containerStatuses?.[0]?.restartCount, 0);
    assert.equal(await k.kubectlOk(['logs', 'survivor']), 'up\n');
  });
});
