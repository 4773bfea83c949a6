/**
 * A node on the process runtime (`tkube server --container-runtime process`) with real kubectl: a busybox pod's
 * command runs as a plain host process, reaches Running, `kubectl logs` shows its output, a SIGKILLed server
 * comes back and adopts the still-running process, and deleting the pod ends the process (checked by pid).
 * Needs no root; only busybox-static for the built-in image.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BUSYBOX_PATH } from '../../src/agent/images/builtin-images.js';
import { RestClient } from '../../src/client/rest-client.js';
import { deletePodsAndCleanUpProcessNode } from '../harness/process-node.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';
import { processAlive } from '../harness/host-tools.js';

const skip = existsSync(BUSYBOX_PATH) ? false : 'needs busybox-static';

interface PodJson {
  status?: { phase?: string; podIP?: string; hostIP?: string; containerStatuses?: { containerID?: string; restartCount: number; state: { running?: unknown } }[] };
}

const alive = processAlive;

void describe('kubelet with the process runtime', { skip }, () => {
  let c: TestCluster;
  const node = `tkube-proc-${process.pid}`;
  // Node labels and taints and the kubeconfig's mode come from a config file (`--config`, k3s's config.yaml).
  const configDir = mkdtempSync(join(tmpdir(), 'tkube-config-'));
  const configFile = join(configDir, 'config.yaml');
  writeFileSync(configFile, 'node-label: [tier=web, example.com/zone=a]\nnode-taint: example.com/soft=yes:PreferNoSchedule\nwrite-kubeconfig-mode: "0640"\n');
  const args = ['--container-runtime', 'process', '--node-name', node, '--kubelet-port', '0', '--config', configFile];
  const containersDir = (): string => join(c.dataDir, 'agent', 'process', 'containers');
  before(async () => {
    c = await TestCluster.start({ agent: true, args });
  });
  after(async () => {
    // Whatever the kubelet could not stop is killed by pid (each container's process group, then its supervisor).
    if (c) await deletePodsAndCleanUpProcessNode(c);
    rmSync(configDir, { recursive: true, force: true });
  });

  const pod = async (name: string): Promise<PodJson> => JSON.parse(await c.kubectlOk(['get', 'pod', name, '-o', 'json'])) as PodJson;

  void it('runs a pod as a host process, keeps it across a server restart, and ends it on delete', async () => {
    await eventually(async () => /\sReady\s/.test(await c.kubectlOk(['get', 'node', node])), 30_000);
    assert.match(await c.kubectlOk(['get', 'node', node, '-o', 'jsonpath={.status.nodeInfo.containerRuntimeVersion}']), /^process:\/\//);
    assert.equal(await c.kubectlOk(['get', 'node', node, '-o', 'jsonpath={.metadata.labels.tier} {.metadata.labels.example\\.com/zone} {.spec.taints[0].key}={.spec.taints[0].value}:{.spec.taints[0].effect}']), 'web a example.com/soft=yes:PreferNoSchedule');
    assert.equal(statSync(c.kubeconfig).mode & 0o777, 0o640, '--write-kubeconfig-mode from the config file');
    await c.kubectlOk(['run', 'hello', '--image=busybox', '--', 'sh', '-c', 'echo hi; sleep 3600']);
    const running = await eventually(async () => {
      const p = await pod('hello');
      return p.status?.phase === 'Running' ? p : undefined;
    }, 60_000);
    const containerID = running.status?.containerStatuses?.[0]?.containerID ?? '';
    assert.match(containerID, /^process:\/\/[0-9a-f]{32}$/);
    assert.equal(running.status?.podIP, running.status?.hostIP, 'no pod network: the pod IP is the node IP');
    assert.equal(await eventually(async () => ((await c.kubectlOk(['logs', 'hello'])) === 'hi\n' ? 'hi\n' : undefined), 20_000), 'hi\n');

    const id = containerID.slice('process://'.length);
    const pid = (JSON.parse(readFileSync(join(containersDir(), id, 'pid'), 'utf8')) as { pid: number }).pid;
    assert.ok(alive(pid), 'the container process runs on the host');
    assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /^sh\0-c\0echo hi; sleep 3600\0$/);

    // The container outlives its agent: a SIGKILLed server comes back and adopts it.
    await c.restart('SIGKILL', { agent: true, args });
    assert.ok(alive(pid), 'the container survived the server');
    await eventually(async () => {
      const s = (await pod('hello')).status?.containerStatuses?.[0];
      return s?.containerID === containerID && s.state.running && s.restartCount === 0 ? true : undefined;
    }, 30_000);
    assert.equal(await c.kubectlOk(['logs', 'hello']), 'hi\n');

    await c.kubectlOk(['delete', 'pod', 'hello', '--grace-period=1', '--timeout=60s']);
    await eventually(() => !alive(pid), 20_000);
    await eventually(() => readdirSync(containersDir()).length === 0, 20_000);
  });

  void it('writes a started pod status once, running and ready together, and not again while nothing changes', async () => {
    const client = RestClient.fromKubeconfig(c.kubeconfig, { userAgent: 'kubelet-status-writes-test' });
    const path = { version: 'v1', resource: 'pods', namespace: 'default' } as const;
    const abort = new AbortController();
    try {
      const list = (await client.list(path)) as { metadata?: { resourceVersion?: string } };
      // Every version of the pod the kubelet wrote (only the kubelet sets hostIP; the scheduler's binding does not).
      const written: { metadata?: { resourceVersion?: string }; status?: { phase?: string; hostIP?: string; conditions?: { type: string; status: string }[] } }[] = [];
      const watching = (async () => {
        try {
          for await (const ev of client.watch(path, { resourceVersion: list.metadata?.resourceVersion ?? '0', signal: abort.signal })) {
            const p = ev.object as (typeof written)[number] & { metadata?: { name?: string } };
            if (p.metadata?.name === 'quiet' && p.status?.hostIP) written.push(p);
          }
        } catch {
          // Aborted.
        }
      })();
      await c.kubectlOk(['run', 'quiet', '--image=busybox', '--', 'sleep', '3600']);
      await eventually(() => written.some((p) => p.status?.phase === 'Running'), 60_000);
      // An absence can only be watched for a while: 3 s covers three exit relists and a settling pod's resyncs.
      await new Promise((r) => setTimeout(r, 3000));
      abort.abort();
      await watching;
      assert.equal(written.length, 1, `one status write, saw: ${JSON.stringify(written.map((p) => [p.status?.phase, p.status?.conditions?.map((x) => `${x.type}=${x.status}`)]))}`);
      assert.equal(written[0]?.status?.conditions?.find((x) => x.type === 'Ready')?.status, 'True');
      await c.kubectlOk(['delete', 'pod', 'quiet', '--grace-period=1', '--timeout=60s']);
    } finally {
      abort.abort();
      client.close();
    }
  });
});
