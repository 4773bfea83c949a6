/**
 * Requests, limits and securityContext on a real runc node, driven by real kubectl: a container over its memory
 * limit ends OOMKilled (137), cpu and memory limits land in the container's cgroup files and the pod sits in its
 * QoS cgroup, runAsUser/runAsGroup/supplementalGroups show in `id`, readOnlyRootFilesystem refuses a write, and
 * the node's /stats/summary reports the pod's memory.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { containerHostMissing } from '../harness/host-tools.js';
import { getPod, waitForNodeReady, waitForPodPhase } from '../harness/pods.js';
import { deletePodsAndCleanUp } from '../harness/runc-node.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const skip = containerHostMissing();

interface PodJson {
  metadata?: { uid?: string };
  status?: {
    phase?: string;
    qosClass?: string;
    containerStatuses?: { containerID?: string; state: { terminated?: { exitCode: number; reason?: string }; running?: unknown }; lastState: { terminated?: { exitCode: number; reason?: string } } }[];
  };
}

function podYaml(name: string, container: Record<string, unknown>, spec: Record<string, unknown> = {}): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, ...spec, containers: [{ name: 'c', image: 'busybox', ...container }] } });
}

void describe('resources and securityContext on a runc node', { skip }, () => {
  let c: TestCluster;
  const node = `tkube-res-${process.pid}`;
  before(async () => {
    c = await TestCluster.start({ agent: true, args: ['--container-runtime', 'runc', '--node-name', node, '--kubelet-port', '0'] });
    await waitForNodeReady(c, node);
  });
  after(async () => {
    if (!c) return;
    await deletePodsAndCleanUp(c);
  });

  const pod = (name: string): Promise<PodJson> => getPod<PodJson>(c, name);
  const finished = (name: string): Promise<PodJson> => waitForPodPhase<PodJson>(c, name, ['Succeeded', 'Failed']);

  void it('kills a container over its memory limit: OOMKilled, exit code 137', async () => {
    // The shell's variable grows past 20 Mi; the kernel's OOM killer ends the biggest process, the shell.
    await c.kubectlOk(['apply', '-f', '-'], {
      input: podYaml('hog', { command: ['sh', '-c', 'x=$(head -c 67108864 /dev/zero | tr "\\0" a); echo survived'], resources: { limits: { memory: '20Mi' } } }),
    });
    const p = await finished('hog');
    const term = p.status?.containerStatuses?.[0]?.state.terminated;
    assert.equal(p.status?.phase, 'Failed');
    assert.equal(term?.reason, 'OOMKilled');
    assert.equal(term?.exitCode, 137);
    assert.equal(p.status?.qosClass, 'Burstable');
  });

  void it('writes cpu and memory limits to the container cgroup under the pod QoS cgroup', async () => {
    await c.kubectlOk(['apply', '-f', '-'], {
      input: podYaml('limited', { command: ['sh', '-c', 'head -c 1048576 /dev/zero > /blob; exec sleep 3600'], resources: { requests: { cpu: '250m', memory: '32Mi' }, limits: { cpu: '500m', memory: '64Mi' } } }, { restartPolicy: 'Always' }),
    });
    const p = await eventually(async () => {
      const x = await pod('limited');
      return x.status?.phase === 'Running' ? x : undefined;
    }, 60_000);
    const uid = p.metadata?.uid ?? '';
    const id = (p.status?.containerStatuses?.[0]?.containerID ?? '').replace('runc://', '');
    const podCg = `kubepods/burstable/pod${uid}`;
    const read = (controller: string, file: string): string => readFileSync(join('/sys/fs/cgroup', controller, podCg, id.slice(0, 16), file), 'utf8').trim();
    assert.equal(read('memory', 'memory.limit_in_bytes'), String(64 * 1024 * 1024));
    assert.equal(read('cpu', 'cpu.cfs_quota_us'), '50000');
    assert.equal(read('cpu', 'cpu.cfs_period_us'), '100000');
    assert.equal(read('cpu', 'cpu.shares'), '256');
    // The pod cgroup carries the pod-level limits (the sum over its containers).
    assert.equal(readFileSync(join('/sys/fs/cgroup/memory', podCg, 'memory.limit_in_bytes'), 'utf8').trim(), String(64 * 1024 * 1024));
    const pid = read('memory', 'cgroup.procs').split('\n')[0] ?? '';
    const adj = Number(readFileSync(`/proc/${pid}/oom_score_adj`, 'utf8'));
    assert.ok(adj >= 2 && adj <= 999, `burstable oom_score_adj ${adj}`);
  });

  void it('runs as the securityContext user and groups, and honours readOnlyRootFilesystem', async () => {
    await c.kubectlOk(['apply', '-f', '-'], {
      input: podYaml('ids', { command: ['sh', '-c', 'id -u; id -g; id -G'], securityContext: { runAsGroup: 3000, allowPrivilegeEscalation: false } }, { securityContext: { runAsUser: 1000, runAsGroup: 2000, fsGroup: 4000, supplementalGroups: [5000] } }),
    });
    await c.kubectlOk(['apply', '-f', '-'], {
      input: podYaml('ro', { command: ['sh', '-c', 'touch /probe && echo wrote || echo refused'], securityContext: { readOnlyRootFilesystem: true } }),
    });
    assert.equal((await finished('ids')).status?.phase, 'Succeeded');
    const [uid, gid, groups] = (await c.kubectlOk(['logs', 'ids'])).trim().split('\n');
    assert.equal(uid, '1000');
    assert.equal(gid, '3000');
    assert.deepEqual(groups?.split(' ').sort(), ['3000', '4000', '5000']);
    await finished('ro');
    // stdout and stderr are separate pipes: their order in the log is not fixed.
    const ro = await c.kubectlOk(['logs', 'ro']);
    assert.match(ro, /Read-only file system/);
    assert.match(ro, /^refused$/m);
  });

  void it('serves /stats/summary with the pod and its memory', async () => {
    const nodeObj = JSON.parse(await c.kubectlOk(['get', 'node', node, '-o', 'json'])) as { status: { daemonEndpoints: { kubeletEndpoint: { Port: number } }; addresses: { type: string; address: string }[] } };
    const port = nodeObj.status.daemonEndpoints.kubeletEndpoint.Port;
    const host = nodeObj.status.addresses.find((a) => a.type === 'InternalIP')?.address ?? '127.0.0.1';
    const creds = c.credentials();
    const get = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const req = request({ host, port, path: '/stats/summary', ca: creds.ca, cert: creds.cert, key: creds.key, rejectUnauthorized: false }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${res.statusCode}: ${body}`))));
        });
        req.on('error', reject);
        req.end();
      });
    interface Summary {
      node: { nodeName: string; memory: { workingSetBytes: number; availableBytes: number }; cpu: { usageCoreNanoSeconds: number }; fs: { capacityBytes: number } };
      pods: { podRef: { name: string }; containers: { name: string; memory: { workingSetBytes: number; usageBytes: number }; cpu: { usageNanoCores?: number; usageCoreNanoSeconds: number }; rootfs: { usedBytes: number } }[]; memory: { workingSetBytes: number }; 'ephemeral-storage': { usedBytes: number } }[];
    }
    const summary = await eventually(async () => {
      const s = JSON.parse(await get()) as Summary;
      const p = s.pods.find((x) => x.podRef.name === 'limited');
      // usageNanoCores needs two samples; wait for it.
      return p?.containers[0]?.cpu.usageNanoCores !== undefined ? s : undefined;
    }, 30_000, 500);
    assert.equal(summary.node.nodeName, node);
    assert.ok(summary.node.memory.workingSetBytes > 0);
    assert.ok(summary.node.fs.capacityBytes > 0);
    const limited = summary.pods.find((x) => x.podRef.name === 'limited');
    assert.ok((limited?.containers[0]?.memory.workingSetBytes ?? 0) > 0);
    assert.ok((limited?.memory.workingSetBytes ?? 0) > 0);
    // The container wrote 1 MiB into its writable layer.
    assert.ok((limited?.containers[0]?.rootfs.usedBytes ?? 0) >= 1024 * 1024);
    assert.ok((limited?.['ephemeral-storage'].usedBytes ?? 0) >= 1024 * 1024);
  });
});
