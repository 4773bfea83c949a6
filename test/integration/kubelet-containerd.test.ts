/**
 * A real node whose pods run in containerd (`tkube server --container-runtime-endpoint unix:///…`) with real
 * kubectl: the test starts a private containerd (Debian's 1.6) in a temp dir, the node imports the built-in
 * pause and busybox images into it from its own store, a busybox pod reaches Running with a pod IP from the
 * containerd bridge, a pod that exits ends Succeeded and `kubectl logs` reads the CRI log containerd wrote.
 * containerd is stopped by its pid and its dirs, mounts, netns and bridge are removed afterwards.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startContainerd, writeContainerdConfig, type RunningContainerd } from '../../src/agent/runtime/cri/containerd-daemon.js';
import { containerdHostMissing } from '../harness/host-tools.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const skip = containerdHostMissing();

interface PodJson {
  status?: { phase?: string; podIP?: string; containerStatuses?: { ready: boolean; state: { running?: unknown; terminated?: { exitCode: number } } }[] };
}

void describe('kubelet with the containerd CRI runtime', { skip }, () => {
  // Short: containerd's socket path must stay under the unix socket limit.
  const dir = mkdtempSync('/tmp/tkcdi-');
  const subnet = `10.88.${randomInt(1, 255)}`;
  let daemon: RunningContainerd | undefined;
  let c: TestCluster | undefined;
  const node = `tkube-cd-${process.pid}`;

  before(async () => {
    await writeContainerdConfig(join(dir, 'cd'), { podSubnet: `${subnet}.0/24` });
    daemon = await startContainerd(join(dir, 'cd'));
    c = await TestCluster.start({ agent: true, args: ['--container-runtime-endpoint', daemon.paths.endpoint, '--node-name', node] });
  });

  const podUids: string[] = [];
  after(async () => {
    if (c) {
      await c.kubectl(['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=60s']);
      await c.stop();
      rmSync(c.dataDir, { recursive: true, force: true });
    }
    // Removes every sandbox left (shims, netns and mounts go with them), then the daemon, its mounts and bridge.
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
    // The pods' cgroup parents (the kubelet's /kubepods/pod<uid>) outlive their containers; kubepods goes when empty.
    const dirs = podUids.map((u) => `/sys/fs/cgroup/*/kubepods/pod${u}`).join(' ');
    execFileSync('sh', ['-c', `for d in ${dirs}; do rmdir "$d" 2>/dev/null; done; for d in /sys/fs/cgroup/*/kubepods; do rmdir "$d" 2>/dev/null; done; true`]);
  });

  const pod = async (name: string): Promise<PodJson> => JSON.parse(await (c as TestCluster).kubectlOk(['get', 'pod', name, '-o', 'json'])) as PodJson;

  void it('runs busybox pods in containerd and serves their logs', async () => {
    const k = c as TestCluster;
    await eventually(async () => /\sReady\s/.test(await k.kubectlOk(['get', 'node', node])), 30_000);
    const info = JSON.parse(await k.kubectlOk(['get', 'node', node, '-o', 'json'])) as { status?: { nodeInfo?: { containerRuntimeVersion?: string } } };
    assert.match(info.status?.nodeInfo?.containerRuntimeVersion ?? '', /^containerd:\/\/1\./);
    await k.kubectlOk(['run', 'sleeper', '--image=busybox', '--', 'sleep', '3600']);
    const running = await eventually(async () => {
      const p = await pod('sleeper');
      return p.status?.phase === 'Running' ? p : undefined;
    }, 90_000);
    assert.ok(running.status?.podIP?.startsWith(`${subnet}.`), `pod IP ${running.status?.podIP} is on the containerd bridge`);
    await k.kubectlOk(['run', 'once', '--image=busybox', '--restart=Never', '--', 'sh', '-c', 'echo first; echo oops >&2; echo done']);
    await eventually(async () => (await pod('once')).status?.phase === 'Succeeded', 90_000);
    podUids.push(...(await k.kubectlOk(['get', 'pods', '-o', 'jsonpath={.items[*].metadata.uid}'])).split(' ').filter(Boolean));
    assert.deepEqual((await k.kubectlOk(['logs', 'once'])).split('\n').sort(), ['', 'done', 'first', 'oops']);
    assert.match(await k.kubectlOk(['logs', 'once', '--tail=1', '--timestamps']), /^\d{4}-\d\d-\d\dT[\d:.]+Z (done|oops)\n$/);
    await k.kubectlOk(['delete', 'pod', 'sleeper', 'once', '--grace-period=1', '--timeout=60s']);
  });
});

void describe('kubelet with a containerd it starts itself (--container-runtime containerd)', { skip }, () => {
  let c: TestCluster | undefined;
  const node = `tkube-cde-${process.pid}`;
  const podUids: string[] = [];
  // Our own data dir (TestCluster would remove its own on stop, before the cleanup below could read it).
  const dataDir = mkdtempSync('/tmp/tkcde-');

  before(async () => {
    c = await TestCluster.start({ agent: true, dataDir, args: ['--container-runtime', 'containerd', '--node-name', node] });
  });

  after(async () => {
    if (c) {
      await c.kubectl(['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=60s']);
      await c.stop();
    }
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
    await k.restart('SIGKILL', { agent: true, dataDir, args: ['--container-runtime', 'containerd', '--node-name', node] });
    await eventually(async () => /\sReady\s/.test(await k.kubectlOk(['get', 'node', node])), 60_000);
    const after = JSON.parse(await k.kubectlOk(['get', 'pod', 'survivor', '-o', 'json'])) as PodJson & { status?: { containerStatuses?: { containerID?: string; restartCount?: number }[] } };
    assert.equal(after.status?.phase, 'Running');
    assert.equal(after.status?.containerStatuses?.[0]?.containerID, before);
    assert.equal(after.status?.containerStatuses?.[0]?.restartCount, 0);
    assert.equal(await k.kubectlOk(['logs', 'survivor']), 'up\n');
  });
});
